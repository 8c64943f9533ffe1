# types, checksums, gzip/zlib framing — and their unit tests.
target_sources(accz PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/types.cc
  ${CMAKE_CURRENT_LIST_DIR}/checksum.cc
  ${CMAKE_CURRENT_LIST_DIR}/gzip_header.cc
  ${CMAKE_CURRENT_LIST_DIR}/framing_zlib.cc
  ${CMAKE_CURRENT_LIST_DIR}/framing_oneshot.cc
  ${CMAKE_CURRENT_LIST_DIR}/framing_compressor.cc
  ${CMAKE_CURRENT_LIST_DIR}/framing_decompressor.cc)
accz_test(checksum_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/checksum_test.cc LIBS ZLIB::ZLIB)
accz_test(gzip_header_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/gzip_header_test.cc LIBS ZLIB::ZLIB)
accz_test(framing_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/framing_test.cc LIBS ZLIB::ZLIB)
