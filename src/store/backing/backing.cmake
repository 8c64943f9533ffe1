# Backing stores: the device interface, file/block device, memory, and fault injection.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/store_status.cc
  ${_dir}/backing_store.cc
  ${_dir}/memory_backing.cc
  ${_dir}/file_backing.cc
  ${_dir}/fault_backing.cc)

accz_test(store_backing_test SOURCES
  ${_dir}/memory_backing_test.cc
  ${_dir}/file_backing_test.cc
  ${_dir}/fault_backing_test.cc)
accz_test(store_fault_backing_threaded_test SOURCES ${_dir}/fault_backing_threaded_test.cc
  LABELS threaded)
