# The tokenizers' vocabularies (docs/tokens.md). They are data: the ranks of
# o200k_base and cl100k_base that the npm package js-tiktoken (MIT) ships,
# converted at build time into .tiktoken files (src/tokens/make_vocab.mjs,
# which checks them against the SHA-256 of OpenAI's own files), installed
# into DATADIR/oai, where the library looks by default. Never fetched at
# run time.
#
# The step is optional so that building needs only the build dependencies:
#   OAI_VOCAB=AUTO  (default) build them when Node.js and js-tiktoken are found
#   OAI_VOCAB=ON    fail the configure step without them
#   OAI_VOCAB=OFF   do not build them
# js-tiktoken is looked for in OAI_JS_TIKTOKEN_DIR, else in
# tests/tokens/node_modules/js-tiktoken (scripts/deps.sh runs npm ci there).
set(OAI_VOCAB "AUTO" CACHE STRING "Build the tokenizer vocabularies from js-tiktoken: AUTO, ON or OFF")
set(OAI_JS_TIKTOKEN_DIR "" CACHE PATH "The js-tiktoken package folder the vocabularies come from")
set(OAI_VOCAB_BUILD_DIR "${PROJECT_BINARY_DIR}/vocab")
set(OAI_HAVE_VOCAB OFF)

set(_oai_js_tiktoken "${OAI_JS_TIKTOKEN_DIR}")
if(NOT _oai_js_tiktoken)
  set(_oai_js_tiktoken "${PROJECT_SOURCE_DIR}/tests/tokens/node_modules/js-tiktoken")
endif()
if(NOT OAI_VOCAB STREQUAL "OFF")
  find_program(OAI_NODE_EXECUTABLE node)
  if(OAI_NODE_EXECUTABLE AND EXISTS "${_oai_js_tiktoken}/dist/ranks/o200k_base.js")
    set(_oai_vocab_files "${OAI_VOCAB_BUILD_DIR}/o200k_base.tiktoken"
                         "${OAI_VOCAB_BUILD_DIR}/cl100k_base.tiktoken")
    add_custom_command(OUTPUT ${_oai_vocab_files}
      COMMAND "${OAI_NODE_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/src/tokens/make_vocab.mjs"
              "${_oai_js_tiktoken}" "${OAI_VOCAB_BUILD_DIR}"
      DEPENDS "${PROJECT_SOURCE_DIR}/src/tokens/make_vocab.mjs"
              "${_oai_js_tiktoken}/dist/ranks/o200k_base.js"
              "${_oai_js_tiktoken}/dist/ranks/cl100k_base.js"
      COMMENT "Converting js-tiktoken's ranks into .tiktoken vocabularies"
      VERBATIM)
    add_custom_target(oai_vocab ALL DEPENDS ${_oai_vocab_files})
    # With the other install rules (cmake/install.cmake: OAI_INSTALL, on by
    # default in a top-level build).
    if(OAI_INSTALL OR (NOT DEFINED OAI_INSTALL AND OAI_TOP_LEVEL))
      install(FILES ${_oai_vocab_files} DESTINATION "${CMAKE_INSTALL_DATADIR}/oai")
    endif()
    set(OAI_HAVE_VOCAB ON)
    message(STATUS "oai: tokenizer vocabularies from ${_oai_js_tiktoken}")
  elseif(OAI_VOCAB STREQUAL "ON")
    message(FATAL_ERROR "OAI_VOCAB=ON needs Node.js and js-tiktoken in ${_oai_js_tiktoken} "
      "(npm ci --prefix tests/tokens, or scripts/deps.sh)")
  else()
    message(STATUS "oai: tokenizer vocabularies not built (no Node.js or no js-tiktoken in "
      "${_oai_js_tiktoken}; npm ci --prefix tests/tokens adds it): token counts need "
      "vocabulary files at run time, see docs/tokens.md")
  endif()
endif()

# Where the library looks when it is given no path.
target_compile_definitions(oai_objects PRIVATE
  OAI_VOCAB_INSTALL_DIR="${CMAKE_INSTALL_FULL_DATADIR}/oai")
