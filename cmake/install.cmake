# Install rules: the header, both libraries, pkg-config metadata, a CMake
# package (find_package(oai) -> oai::oai, oai::oai_static), and
# oai-mock-server (OAI_INSTALL_MOCK_SERVER, on when the CLI is built).
#
# Included from the top-level CMakeLists.txt. When oai is built as a
# subproject (add_subdirectory), nothing is installed unless the parent sets
# OAI_INSTALL=ON.

option(OAI_INSTALL "Generate the install rules" ${OAI_TOP_LEVEL})
if(NOT OAI_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

set(OAI_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/oai"
    CACHE STRING "Where to install oaiConfig.cmake, relative to the prefix")
set(OAI_PKGCONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where to install oai.pc, relative to the prefix")

# --- libraries and header ----------------------------------------------------
set_target_properties(oai_shared PROPERTIES EXPORT_NAME oai)
set_target_properties(oai_static PROPERTIES EXPORT_NAME oai_static)

install(TARGETS oai_shared oai_static
  EXPORT oaiTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
          NAMELINK_COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/include/oai.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/include/oai.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/include/oai/transport.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/oai COMPONENT development)

# --- CMake package -----------------------------------------------------------
install(EXPORT oaiTargets
  NAMESPACE oai::
  DESTINATION ${OAI_CMAKE_DIR}
  COMPONENT development)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/oaiConfig.cmake.in
  ${PROJECT_BINARY_DIR}/oaiConfig.cmake
  INSTALL_DESTINATION ${OAI_CMAKE_DIR})
# SameMajorVersion: the major version is the SONAME, i.e. the ABI.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/oaiConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/oaiConfig.cmake
  ${PROJECT_BINARY_DIR}/oaiConfigVersion.cmake
  DESTINATION ${OAI_CMAKE_DIR}
  COMPONENT development)

# --- pkg-config --------------------------------------------------------------
# oai.pc is written at install time so that its prefix is the one installed
# to, including `cmake --install --prefix DIR` (DESTDIR is not part of it, as
# packagers expect).
set(_oai_pc_template ${PROJECT_SOURCE_DIR}/pkgconfig/oai.pc.in)
# A build without libcurl names no libcurl anywhere.
set(_oai_pc_requires "jansson libcrypto")
if(OAI_WITH_CURL)
  set(_oai_pc_requires "libcurl jansson libssl libcrypto")
endif()
set(_oai_pc_output ${PROJECT_BINARY_DIR}/pkgconfig/oai.pc)
foreach(_kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_kind}}")
    set(_oai_pc_${_kind} "${CMAKE_INSTALL_${_kind}}")
  else()
    set(_oai_pc_${_kind} "\${prefix}/${CMAKE_INSTALL_${_kind}}")
  endif()
endforeach()
install(CODE "
  set(OAI_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(OAI_PC_LIBDIR [[${_oai_pc_LIBDIR}]])
  set(OAI_PC_INCLUDEDIR [[${_oai_pc_INCLUDEDIR}]])
  set(OAI_PC_VERSION [[${PROJECT_VERSION}]])
  set(OAI_PC_DESCRIPTION [[${PROJECT_DESCRIPTION}]])
  set(OAI_PC_REQUIRES [[${_oai_pc_requires}]])
  configure_file([[${_oai_pc_template}]] [[${_oai_pc_output}]] @ONLY)
" COMPONENT development)
install(FILES ${_oai_pc_output}
  DESTINATION ${OAI_PKGCONFIG_DIR}
  COMPONENT development)

# The command-line tool installs itself (cli/CMakeLists.txt), with an
# $ORIGIN-relative run path to the library.

# --- the mock server ---------------------------------------------------------
# oai-mock-server goes to bin/ next to `oai`, so that users can test their
# own programs against it (docs/testing-your-app.md). It needs neither the
# tests nor cmocka: with OAI_BUILD_TESTS=OFF it is defined here.
option(OAI_INSTALL_MOCK_SERVER "Install oai-mock-server next to the oai tool" ${OAI_BUILD_CLI})
if(OAI_INSTALL_MOCK_SERVER)
  include(${PROJECT_SOURCE_DIR}/tests/support/mock_server.cmake)
  install(TARGETS oai-mock-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
