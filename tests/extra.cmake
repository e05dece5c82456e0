# Suites that run the built programs as child processes learn their paths
# here, and depend on them so that `make test_cli` builds the tool first.
# (This file is included at the end of tests/CMakeLists.txt, before cli/ and
# examples/ are added: generator expressions and add_dependencies may name
# targets defined later.) When a program is not built, its suite skips.
if(TARGET test_cli AND OAI_BUILD_CLI)
  target_compile_definitions(test_cli PRIVATE OAI_CLI_PATH="$<TARGET_FILE:oai>")
  add_dependencies(test_cli oai)
endif()

if(TARGET test_cli_api AND OAI_BUILD_CLI)
  target_compile_definitions(test_cli_api PRIVATE OAI_CLI_PATH="$<TARGET_FILE:oai>")
  add_dependencies(test_cli_api oai)
endif()

if(TARGET test_examples AND OAI_BUILD_EXAMPLES)
  target_compile_definitions(test_examples PRIVATE
    OAI_EXAMPLE_CHAT_PATH="$<TARGET_FILE:example_chat>"
    OAI_EXAMPLE_COMPLETION_PATH="$<TARGET_FILE:example_completion>"
    OAI_EXAMPLE_STREAM_PATH="$<TARGET_FILE:example_stream>"
    OAI_EXAMPLE_EVENT_LOOP_PATH="$<TARGET_FILE:example_event_loop>"
    OAI_EXAMPLE_GAME_LOOP_PATH="$<TARGET_FILE:example_game_loop>"
    OAI_EXAMPLE_TOOL_LOOP_PATH="$<TARGET_FILE:example_tool_loop>")
  add_dependencies(test_examples example_chat example_completion example_stream example_event_loop
    example_game_loop example_tool_loop)
endif()

# The host transport example needs no libcurl: its suite runs in every build.
if(TARGET test_custom_transport AND OAI_BUILD_EXAMPLES)
  target_compile_definitions(test_custom_transport PRIVATE
    OAI_EXAMPLE_CUSTOM_TRANSPORT_PATH="$<TARGET_FILE:example_custom_transport>")
  add_dependencies(test_custom_transport example_custom_transport)
endif()

if(TARGET test_cli_webhook AND OAI_BUILD_CLI)
  target_compile_definitions(test_cli_webhook PRIVATE OAI_CLI_PATH="$<TARGET_FILE:oai>")
  add_dependencies(test_cli_webhook oai)
endif()

# examples/webhook.c needs no libcurl either: test_webhook runs it in every
# build.
if(TARGET test_webhook AND OAI_BUILD_EXAMPLES)
  target_compile_definitions(test_webhook PRIVATE
    OAI_EXAMPLE_WEBHOOK_PATH="$<TARGET_FILE:example_webhook>")
  add_dependencies(test_webhook example_webhook)
endif()

# The fine-tuning workflow: the tool's data/files/fine-tune/batch commands and
# examples/fine_tune.c. Each half skips when its program is not built.
if(TARGET test_cli_workflow AND OAI_BUILD_CLI)
  target_compile_definitions(test_cli_workflow PRIVATE OAI_CLI_PATH="$<TARGET_FILE:oai>")
  add_dependencies(test_cli_workflow oai)
endif()

if(TARGET test_cli_workflow AND OAI_BUILD_EXAMPLES)
  target_compile_definitions(test_cli_workflow PRIVATE
    OAI_EXAMPLE_FINE_TUNE_PATH="$<TARGET_FILE:example_fine_tune>")
  add_dependencies(test_cli_workflow example_fine_tune)
endif()


# test_webhook loads the shared library itself, verifies and unloads it: under
# valgrind nothing may be left behind (not in sanitizer builds, whose runtime
# must come first).
if(TARGET test_webhook AND TARGET oai_shared AND NOT OAI_SANITIZE)
  target_compile_definitions(test_webhook PRIVATE OAI_SHARED_LIBRARY_PATH="$<TARGET_FILE:oai_shared>")
  target_link_libraries(test_webhook PRIVATE ${CMAKE_DL_LIBS})
  add_dependencies(test_webhook oai_shared)
endif()
