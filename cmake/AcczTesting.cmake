# accz_test(NAME SOURCES... [LABELS l...] [LIBS lib...])
# One GoogleTest executable in build/bin/tests, its cases registered with CTest.
# LABELS picks the one label CTest sees (see below); default "unit".
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
  # One label per test: gtest_discover_tests splits a list-valued LABELS property into
  # separate property names, so "unit;threaded" cannot be passed through it.
  #   threaded — runs threads; CI runs these again under TSan (and ASan)
  #   unit     — single-threaded unit tests; CI runs these again under ASan+UBSan
  #   other    — a purpose label of the caller's (cli, interop): release build only
  if("threaded" IN_LIST T_LABELS)
    set(label threaded)
  elseif(T_LABELS)
    list(GET T_LABELS 0 label)
  else()
    set(label unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${label})
endfunction()
