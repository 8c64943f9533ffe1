target_sources(accz PRIVATE ${CMAKE_CURRENT_LIST_DIR}/types.cc)
