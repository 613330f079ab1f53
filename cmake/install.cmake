# `cmake --install build --prefix P`: the static libraries, their headers under P/include/hepex/ (the
# umbrella header is <hepex/hepex.hpp>) and a package configuration, so that another project writes
#   find_package(hepex REQUIRED)   target_link_libraries(app PRIVATE hepex::hepex)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_hepex_targets hepex)
foreach(m ${HEPEX_MODULES})
  list(APPEND _hepex_targets hepex_${m})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/${m} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hepex
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/include/hepex/hepex.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hepex)
install(TARGETS ${_hepex_targets} EXPORT hepexTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hepex_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(_hepex_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/hepex)
install(EXPORT hepexTargets NAMESPACE hepex:: DESTINATION ${_hepex_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hepexConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hepexConfig.cmake INSTALL_DESTINATION ${_hepex_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hepexConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hepexConfig.cmake ${PROJECT_BINARY_DIR}/hepexConfigVersion.cmake
        DESTINATION ${_hepex_cmake_dir})
