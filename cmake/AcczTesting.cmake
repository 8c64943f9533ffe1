# accz_test(NAME SOURCES... [LABELS l...] [LIBS lib...])
# One GoogleTest executable in build/bin/tests, its cases registered with CTest.
# Label "threaded" marks tests that CI also runs under TSan.
include(GoogleTest)
function(accz_test name)
  if(NOT ACCZ_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${T_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/tests)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE accz accz_warnings GTest::gtest GTest::gtest_main ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    ACCZ_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ACCZ_CORPUS_DIR="${PROJECT_SOURCE_DIR}/../shared/corpus"
    ACCZ_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "unit;${T_LABELS}")
endfunction()
