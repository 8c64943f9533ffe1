# Accel front end: routing, fallback, verification, timeouts, completion delivery, stats.
target_sources(accz PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/accel.cc
  ${CMAKE_CURRENT_LIST_DIR}/accel_impl.cc
  ${CMAKE_CURRENT_LIST_DIR}/completion_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/frame_trailer.cc
  ${CMAKE_CURRENT_LIST_DIR}/router.cc
  ${CMAKE_CURRENT_LIST_DIR}/stats.cc
  ${CMAKE_CURRENT_LIST_DIR}/timeout_tracker.cc
  ${CMAKE_CURRENT_LIST_DIR}/verify.cc)
# Verification checks lz4/zstd frames' XXH32/XXH64 content checksums.
target_link_libraries(accz PRIVATE PkgConfig::XXHASH)

accz_test(stats_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/stats_test.cc)
accz_test(frame_trailer_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/frame_trailer_test.cc
  LIBS PkgConfig::LZ4 PkgConfig::ZSTD PkgConfig::XXHASH)
accz_test(accel_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/accel_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/fake_device.cc LABELS threaded LIBS ZLIB::ZLIB)
