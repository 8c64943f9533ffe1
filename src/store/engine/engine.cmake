# The block store's engine: Volume (volume.h), one engine thread over the metadata, the dedup
# index and the packer, with compression on the core's devices.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/volume.cc
  ${_dir}/volume_engine.cc
  ${_dir}/write_path.cc
  ${_dir}/read_path.cc)

accz_test(store_engine_test SOURCES
  ${_dir}/volume_engine_test.cc
  LABELS threaded)
