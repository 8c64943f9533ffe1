# cmake --install: CLI, libaccz with its public headers, pkg-config file, CMake package.
include(CMakePackageConfigHelpers)
install(TARGETS accz EXPORT acczTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/accz DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT acczTargets NAMESPACE accz:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/accz)
configure_package_config_file(cmake/acczConfig.cmake.in
  ${CMAKE_BINARY_DIR}/acczConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/accz)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/acczConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/acczConfig.cmake ${CMAKE_BINARY_DIR}/acczConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/accz)
# From <libdir>/pkgconfig back up to the prefix ("../.." for lib, "../../.." for lib/<triplet>).
file(RELATIVE_PATH ACCZ_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/accz.pc.in ${CMAKE_BINARY_DIR}/accz.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/accz.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
