# `cpack -G DEB` in the build folder: appkeeper_<version>_<arch>.deb with what `cmake --install`
# puts under the /usr prefix (the sample config becomes /etc/appkeeper/appkeeper.ini, a conffile
# dpkg will not overwrite on upgrade). Library dependencies are computed by dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME appkeeper)
set(CPACK_PACKAGE_VENDOR "appkeeper")
set(CPACK_PACKAGE_CONTACT "appkeeper maintainers <appkeeper@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Keeps Microsoft Teams app installations current (Graph upgrade daemon)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# The unit's ExecStart and --config paths are fixed at configure time from the install prefix,
# so the package uses that same prefix. Build packages with -DCMAKE_INSTALL_PREFIX=/usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "appkeeper: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; configure with "
                 "-DCMAKE_INSTALL_PREFIX=/usr for a .deb that installs to /usr/bin and /etc/appkeeper")
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Only the daemon's component: the emulator, tests and benchmarks are not installed.
set(CPACK_COMPONENTS_ALL Unspecified)
include(CPack)
