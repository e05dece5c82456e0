# The mock server: a library the test suites link (oai_mockserver) and the
# standalone oai-mock-server, the demo's server and the one users test
# their applications against (docs/testing-your-app.md).
#
# Included from tests/CMakeLists.txt, and from cmake/install.cmake when it
# is to be installed with the tests off: it needs only jansson and threads
# (not cmocka, not liboai), so a plain user build can have it.
include_guard(GLOBAL)

file(GLOB _oai_mock_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/mock_*.c)
list(FILTER _oai_mock_sources EXCLUDE REGEX "mock_main\\.c$")
add_library(oai_mockserver STATIC ${_oai_mock_sources})
target_compile_definitions(oai_mockserver PRIVATE _GNU_SOURCE)
target_compile_options(oai_mockserver PRIVATE ${OAI_WARNINGS})
target_include_directories(oai_mockserver PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(oai_mockserver PUBLIC PkgConfig::JANSSON Threads::Threads)

add_executable(oai-mock-server ${CMAKE_CURRENT_LIST_DIR}/mock_main.c)
target_compile_definitions(oai-mock-server PRIVATE _GNU_SOURCE)
target_compile_options(oai-mock-server PRIVATE ${OAI_WARNINGS})
target_link_libraries(oai-mock-server PRIVATE oai_mockserver)
# Always build/tests/oai-mock-server, whichever file defined it (the demo,
# bench/ and the docs run it from there).
set_target_properties(oai-mock-server PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
