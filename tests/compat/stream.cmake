# Drop-in stream routing tests (deflate/inflate on engines), owned by the stream work.
#
# Each binary links the drop-in directly (its plain zlib names are the drop-in's) and loads
# stock zlib privately to compare with (dropin_stream_api.h). The one label "threaded" (as the
# other drop-in GoogleTest binaries: gtest_discover_tests cannot pass a list), so that CI runs
# them under ASan+UBSan and TSan as well as in release.
foreach(name deflate inflate)
  add_executable(dropin_stream_${name}_test dropin_stream_${name}_test.cc)
  set_target_properties(dropin_stream_${name}_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/tests)
  target_link_libraries(dropin_stream_${name}_test PRIVATE accz_zlib accz_warnings GTest::gtest
                        GTest::gtest_main Threads::Threads ${CMAKE_DL_LIBS})
  target_compile_definitions(dropin_stream_${name}_test PRIVATE
    ACCZ_REAL_ZLIB_PATH="${ACCZ_REAL_ZLIB_PATH}"
    ACCZ_CORPUS_DIR="${PROJECT_SOURCE_DIR}/../shared/corpus")
  gtest_discover_tests(dropin_stream_${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS threaded)
endforeach()

# git index-pack's way of inflating, replayed on the drop-in and on stock zlib (the git clone
# failure of src/zlib/README.md): every cut near every stream's end, random pipes over packs of
# every kind of stream, real packs git writes, four threads.
add_executable(dropin_index_pack_test dropin_index_pack_test.cc)
set_target_properties(dropin_index_pack_test PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/tests)
target_link_libraries(dropin_index_pack_test PRIVATE accz_zlib accz_warnings GTest::gtest
                      GTest::gtest_main Threads::Threads PkgConfig::LIBDEFLATE ${CMAKE_DL_LIBS})
target_compile_definitions(dropin_index_pack_test PRIVATE
  ACCZ_REAL_ZLIB_PATH="${ACCZ_REAL_ZLIB_PATH}"
  ACCZ_ZLIB_DROPIN_DIR="${ACCZ_ZLIB_DROPIN_DIR}")
gtest_discover_tests(dropin_index_pack_test DISCOVERY_TIMEOUT 60
  PROPERTIES LABELS threaded TIMEOUT 600)
