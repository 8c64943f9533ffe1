# engine registry, and the contract tests every engine must pass.
target_sources(accz PRIVATE ${CMAKE_CURRENT_LIST_DIR}/registry.cc)
accz_test(engines_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/engines_test.cc LIBS ZLIB::ZLIB)
accz_test(engines_alloc_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/alloc_test.cc)
