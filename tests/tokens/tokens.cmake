# The tokenizer's tests (docs/tokens.md): included from tests/CMakeLists.txt.
#
# tokens_reference counts a corpus with the npm package js-tiktoken and
# checks that the C tokenizer's counts are identical. Without Node.js,
# js-tiktoken or the built vocabularies it reports "skipped" (exit 77), or
# fails when OAI_REQUIRE_VOCAB=1 (scripts/test.sh, CI).
add_executable(tokens_check_reference ${CMAKE_CURRENT_LIST_DIR}/check_reference.c)
target_compile_options(tokens_check_reference PRIVATE ${OAI_WARNINGS})
target_link_libraries(tokens_check_reference PRIVATE oai_static)
if(TARGET oai_vocab)
  add_dependencies(tokens_check_reference oai_vocab)
endif()
add_test(NAME tokens_reference
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/reference.sh $<TARGET_FILE:tokens_check_reference>
          ${OAI_VOCAB_BUILD_DIR} ${_oai_js_tiktoken} ${CMAKE_CURRENT_BINARY_DIR}/tokens_reference.txt)
set_tests_properties(tokens_reference PROPERTIES LABELS no-memcheck SKIP_RETURN_CODE 77 TIMEOUT 300)

foreach(_suite test_tokens test_cli_tokens test_training)
  if(TARGET ${_suite})
    set_property(TEST ${_suite} APPEND PROPERTY ENVIRONMENT "OAI_TEST_VOCAB_DIR=${OAI_VOCAB_BUILD_DIR}")
    if(TARGET oai_vocab)
      add_dependencies(${_suite} oai_vocab)
    endif()
  endif()
endforeach()
if(TARGET test_tokens)
  target_compile_definitions(test_tokens PRIVATE
    OAI_TEST_VOCAB_INSTALL_DIR="${CMAKE_INSTALL_FULL_DATADIR}/oai")
endif()
if(TARGET test_cli_tokens AND OAI_BUILD_CLI)
  target_compile_definitions(test_cli_tokens PRIVATE OAI_CLI_PATH="$<TARGET_FILE:oai>")
  add_dependencies(test_cli_tokens oai)
endif()

# After packaging.cmake has registered the staged install (packaging_install,
# into _oai_prefix): the vocabularies are installed into DATADIR/oai, and the
# installed tool counts with them.
function(_oai_tokens_installed_test)
  if(NOT TEST packaging_install OR NOT DEFINED _oai_prefix)
    return()
  endif()
  set(_cli NONE)
  if(OAI_BUILD_CLI)
    set(_cli "${_oai_prefix}/${CMAKE_INSTALL_BINDIR}/oai")
  endif()
  add_test(NAME tokens_installed
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/tokens/installed.sh "${_oai_prefix}/${CMAKE_INSTALL_DATADIR}/oai"
            ${OAI_HAVE_VOCAB} "${_cli}")
  set_tests_properties(tokens_installed PROPERTIES FIXTURES_REQUIRED oai_installed
    LABELS "no-memcheck;packaging" SKIP_RETURN_CODE 77)
endfunction()
cmake_language(DEFER CALL _oai_tokens_installed_test)
