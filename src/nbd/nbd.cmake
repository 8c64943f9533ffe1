# The NBD server (issue 5): the wire format, the server and its exports. Compiled into libaccz
# like the block store, so `accz vol serve` links one library.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/protocol.cc
  ${_dir}/socket_io.cc
  ${_dir}/connection.cc
  ${_dir}/server.cc
  ${_dir}/memory_export.cc
  ${_dir}/volume_export.cc)

accz_test(nbd_protocol_test SOURCES ${_dir}/protocol_test.cc)
accz_test(nbd_server_test SOURCES ${_dir}/server_test.cc ${_dir}/test_client.cc LABELS threaded)
accz_test(nbd_volume_export_test SOURCES ${_dir}/volume_export_test.cc LABELS threaded)
accz_test(nbd_tools_test SOURCES ${_dir}/nbd_tools_test.cc ${_dir}/test_client.cc LABELS threaded)
accz_test(nbd_volume_server_test SOURCES ${_dir}/volume_server_test.cc ${_dir}/test_client.cc LABELS threaded)
