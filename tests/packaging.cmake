# Packaging, header, API-reference and ABI checks, and the conformance
# program. Included from tests/CMakeLists.txt. Every test here carries the
# label `packaging`: they run compilers, cmake and shell scripts, so
# scripts/test.sh leaves them out of the valgrind pass (label `no-memcheck`).

set(_oai_pkg_src ${CMAKE_CURRENT_SOURCE_DIR})
set(_oai_pkg_bin ${CMAKE_CURRENT_BINARY_DIR}/packaging)
set(_oai_pkg_labels "packaging;no-memcheck")

# Programs built against the sanitized library need the same flags.
set(_oai_consumer_flags "")
if(OAI_SANITIZE)
  set(_oai_consumer_flags "-fsanitize=address,undefined -fno-omit-frame-pointer")
endif()
set(_oai_consumer_env "CC=${CMAKE_C_COMPILER}" "OAI_CONSUMER_FLAGS=${_oai_consumer_flags}")

function(oai_packaging_test name)
  add_test(NAME ${name} COMMAND sh ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS "${_oai_pkg_labels}" TIMEOUT 600)
endfunction()

# --- the public header on its own ---------------------------------------------
oai_packaging_test(header_c99_${CMAKE_C_COMPILER_ID}
  ${_oai_pkg_src}/header/check_header.sh ${CMAKE_C_COMPILER} c99
  ${_oai_pkg_src}/header/header_c.c ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
find_program(OAI_GXX NAMES g++)
find_program(OAI_CLANG NAMES clang clang-14)
find_program(OAI_CLANGXX NAMES clang++ clang++-14)
if(OAI_GXX)
  oai_packaging_test(header_cxx11_gxx
    ${_oai_pkg_src}/header/check_header.sh ${OAI_GXX} c++11
    ${_oai_pkg_src}/header/header_cxx.cpp ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
else()
  message(WARNING "g++ not found: the C++11 header test is not registered")
endif()
if(OAI_CLANG AND NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  oai_packaging_test(header_c99_Clang
    ${_oai_pkg_src}/header/check_header.sh ${OAI_CLANG} c99
    ${_oai_pkg_src}/header/header_c.c ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
endif()
if(OAI_CLANGXX)
  oai_packaging_test(header_cxx11_clangxx
    ${_oai_pkg_src}/header/check_header.sh ${OAI_CLANGXX} c++11
    ${_oai_pkg_src}/header/header_cxx.cpp ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
endif()
oai_packaging_test(header_no_dependency_includes
  ${_oai_pkg_src}/header/check_header_deps.sh ${PROJECT_SOURCE_DIR}/include/oai.h
  ${PROJECT_SOURCE_DIR}/include/oai/transport.h)
oai_packaging_test(source_dependency_boundaries
  ${_oai_pkg_src}/header/check_boundaries.sh ${PROJECT_SOURCE_DIR}/src)
# The transport interface's header on its own, as C99 and as C++.
oai_packaging_test(header_transport_c99_${CMAKE_C_COMPILER_ID}
  ${_oai_pkg_src}/header/check_header.sh ${CMAKE_C_COMPILER} c99
  ${_oai_pkg_src}/header/header_transport_c.c ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
if(OAI_GXX)
  oai_packaging_test(header_transport_cxx11_gxx
    ${_oai_pkg_src}/header/check_header.sh ${OAI_GXX} c++11
    ${_oai_pkg_src}/header/header_transport_cxx.cpp ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
endif()
if(OAI_CLANGXX)
  oai_packaging_test(header_transport_cxx11_clangxx
    ${_oai_pkg_src}/header/check_header.sh ${OAI_CLANGXX} c++11
    ${_oai_pkg_src}/header/header_transport_cxx.cpp ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
endif()

# --- API reference (Doxygen) ----------------------------------------------------
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(OAI_DOXYGEN_OUTPUT_DIR ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  add_test(NAME doxygen COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/docs/Doxyfile
           WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
  set_tests_properties(doxygen PROPERTIES LABELS "${_oai_pkg_labels}" TIMEOUT 300)
  if(NOT TARGET docs)
    add_custom_target(docs
      COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/docs/Doxyfile
      WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
      COMMENT "API reference in ${PROJECT_BINARY_DIR}/docs/html"
      VERBATIM)
  endif()
else()
  message(WARNING "doxygen not found: the API reference test is not registered")
endif()

# --- the naming grammar (oai.h's conventions) and the deprecated aliases ---------
# Every OAI_API declaration against the written grammar; the checker itself
# against a file of bad names; the aliases warn and can be silenced.
find_program(OAI_PERL NAMES perl)
if(OAI_PERL)
  add_test(NAME header_grammar COMMAND ${OAI_PERL} ${_oai_pkg_src}/header/check_grammar.pl
           ${PROJECT_SOURCE_DIR}/include/oai.h ${PROJECT_SOURCE_DIR}/include/oai/transport.h)
  set_tests_properties(header_grammar PROPERTIES LABELS "${_oai_pkg_labels}")
  oai_packaging_test(header_grammar_rejects
    ${_oai_pkg_src}/header/check_grammar_rejects.sh ${_oai_pkg_src}/header/check_grammar.pl
    ${_oai_pkg_src}/header/grammar_bad.h)
else()
  message(WARNING "perl not found: the naming grammar test is not registered")
endif()
oai_packaging_test(header_deprecated_${CMAKE_C_COMPILER_ID}
  ${_oai_pkg_src}/header/check_deprecated.sh ${CMAKE_C_COMPILER} ${_oai_pkg_src}/header/deprecated_use.c
  ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
if(OAI_CLANG AND NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  oai_packaging_test(header_deprecated_Clang
    ${_oai_pkg_src}/header/check_deprecated.sh ${OAI_CLANG} ${_oai_pkg_src}/header/deprecated_use.c
    ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/header)
endif()

# --- ABI: SONAME and exported symbols ---------------------------------------------
oai_packaging_test(shared_library_symbols
  ${_oai_pkg_src}/consumer/symbols.sh $<TARGET_FILE:oai_shared> $<TARGET_FILE:oai_static>
  liboai.so.${PROJECT_VERSION_MAJOR} ${PROJECT_SOURCE_DIR}/include/oai.h
  ${PROJECT_SOURCE_DIR}/include/oai/transport.h)

# --- ABI: no released function removed or changed (abidiff, abigail-tools) ----------
# The baseline abi/liboai.so.MAJOR.abi is the ABI of the last release, written
# by abidw (docs/packaging.md, "The ABI baseline"). abidiff reads the types
# from DWARF, so the check runs in the builds that carry debug information
# (the default RelWithDebInfo, and Debug); sanitizers add nothing to the ABI
# but are left out, as are builds without libcurl, whose library the baseline
# does not describe.
set(_oai_abi_baseline ${PROJECT_SOURCE_DIR}/abi/liboai.so.${PROJECT_VERSION_MAJOR}.abi)
find_program(OAI_ABIDIFF NAMES abidiff)
if(CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Debug)$" AND NOT OAI_SANITIZE AND OAI_WITH_CURL
   AND EXISTS ${_oai_abi_baseline})
  if(OAI_ABIDIFF)
    oai_packaging_test(abi_baseline
      ${_oai_pkg_src}/consumer/abi_check.sh ${_oai_abi_baseline} $<TARGET_FILE:oai_shared>
      ${PROJECT_SOURCE_DIR}/include)
  else()
    message(WARNING "abidiff (abigail-tools) not found: the ABI baseline test is not registered")
  endif()
endif()

# --- install, then consume -------------------------------------------------------
# install.cmake is read after this file; OAI_INSTALL defaults to OAI_TOP_LEVEL.
if(OAI_TOP_LEVEL OR OAI_INSTALL)
  set(_oai_prefix ${_oai_pkg_bin}/prefix)
  oai_packaging_test(packaging_install
    ${_oai_pkg_src}/consumer/install.sh ${PROJECT_BINARY_DIR} ${_oai_prefix}
    ${CMAKE_INSTALL_LIBDIR} ${CMAKE_INSTALL_INCLUDEDIR} ${PROJECT_VERSION} ${PROJECT_VERSION_MAJOR}
    $<IF:$<BOOL:${OAI_WITH_CURL}>,ON,OFF>)
  set_tests_properties(packaging_install PROPERTIES FIXTURES_SETUP oai_installed)

  oai_packaging_test(consumer_pkgconfig
    ${_oai_pkg_src}/consumer/pkgconfig.sh ${_oai_prefix} ${CMAKE_INSTALL_LIBDIR}
    ${_oai_pkg_src}/consumer/main.c ${_oai_pkg_bin}/pkgconfig)
  oai_packaging_test(consumer_find_package
    ${_oai_pkg_src}/consumer/cmake_package.sh ${_oai_prefix}
    ${_oai_pkg_src}/consumer/cmake ${_oai_pkg_bin}/find_package ${PROJECT_VERSION})
  set_tests_properties(consumer_pkgconfig consumer_find_package PROPERTIES
    FIXTURES_REQUIRED oai_installed
    ENVIRONMENT "${_oai_consumer_env}")

  # oai-mock-server next to oai (OAI_INSTALL_MOCK_SERVER, defined in
  # install.cmake with the CLI's setting as its default).
  set(_oai_mock_installed ${OAI_BUILD_CLI})
  if(DEFINED OAI_INSTALL_MOCK_SERVER)
    set(_oai_mock_installed ${OAI_INSTALL_MOCK_SERVER})
  endif()
  set(_oai_cli_installed CLI_OFF)
  if(OAI_BUILD_CLI)
    set(_oai_cli_installed CLI_ON)
  endif()
  oai_packaging_test(packaging_mock_server
    ${_oai_pkg_src}/support/installed_mock_server.sh ${_oai_prefix} ${CMAKE_INSTALL_BINDIR}
    ${_oai_mock_installed} ${_oai_cli_installed})
  set_tests_properties(packaging_mock_server PROPERTIES FIXTURES_REQUIRED oai_installed)
endif()
oai_packaging_test(consumer_add_subdirectory
  ${_oai_pkg_src}/consumer/subdirectory.sh ${PROJECT_SOURCE_DIR}
  ${_oai_pkg_src}/consumer/subdir ${_oai_pkg_bin}/add_subdirectory)
set_tests_properties(consumer_add_subdirectory PROPERTIES ENVIRONMENT "${_oai_consumer_env}")

# --- the demo (README command 1) and its dependencies (scripts/deps.sh --build) ---
oai_packaging_test(demo_deps_list ${_oai_pkg_src}/support/demo_checks.sh list ${PROJECT_SOURCE_DIR})
oai_packaging_test(demo_deps_non_root ${_oai_pkg_src}/support/demo_checks.sh non-root
  ${PROJECT_SOURCE_DIR} ${_oai_pkg_bin}/demo-deps)
# Builds the library, the CLI and the mock server once more (about 10 s on
# two cores), in its own directory and its own configuration whatever this
# tree's: registered in the default build type only, not again in the
# Release, Debug and sanitizer trees of scripts/test.sh.
if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo" AND NOT OAI_SANITIZE AND OAI_WITH_CURL)
  oai_packaging_test(demo_end_to_end ${_oai_pkg_src}/support/demo_checks.sh demo
    ${PROJECT_SOURCE_DIR} ${_oai_pkg_bin}/demo)
endif()

# --- conformance against a Prism mock of OpenAI's spec (scripts/conformance.sh) ---
add_executable(conformance ${_oai_pkg_src}/conformance/conformance.c)
target_compile_options(conformance PRIVATE ${OAI_WARNINGS})
target_compile_definitions(conformance PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(conformance PRIVATE oai_shared)

# --- docs/endpoints.md, printed from the endpoint table (src/endpoints/endpoints.def) ---
add_executable(endpoints_doc ${_oai_pkg_src}/conformance/endpoints_doc.c)
target_compile_options(endpoints_doc PRIVATE ${OAI_WARNINGS})
target_compile_definitions(endpoints_doc PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME docs_endpoints COMMAND endpoints_doc --check ${PROJECT_SOURCE_DIR}/docs/endpoints.md)
set_tests_properties(docs_endpoints PROPERTIES LABELS docs)
