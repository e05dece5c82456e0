-- Token counts (oai_tokenizer) through the LuaJIT binding: the counts that
-- tests/test_tokens.c asserts, the cookbook's chat example (124 with
-- gpt-4o-mini, 129 with gpt-4), the special-token modes, and errors as
-- oai.Error with status and message. Local only.
--
-- The vocabulary is the build's (OAI_TEST_VOCAB_DIR, set by CMake). Without
-- it the test exits 77 (skipped), unless OAI_REQUIRE_VOCAB=1 (CI): then it fails.
local S = require("support")
local oai = require("oai")

local dir = os.getenv("OAI_TEST_VOCAB_DIR")
if not (dir and dir ~= "" and S.read_file(dir .. "/o200k_base.tiktoken")) then
  local msg = "no vocabulary in OAI_TEST_VOCAB_DIR=" .. tostring(dir)
  if os.getenv("OAI_REQUIRE_VOCAB") == "1" then
    io.stderr:write(msg .. " and OAI_REQUIRE_VOCAB=1: build with js-tiktoken (npm ci --prefix tests/tokens)\n")
    os.exit(1)
  end
  print(msg .. ": skipped")
  os.exit(77)
end

local COOKBOOK = {
  { role = "system", content = "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
  { role = "system", name = "example_user", content = "New synergies will help drive top-line growth." },
  { role = "system", name = "example_assistant", content = "Things working well together will increase revenue." },
  { role = "system", name = "example_user", content = "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role = "system", name = "example_assistant", content = "Let's talk later when we're less busy about how to do better." },
  { role = "user", content = "This late pivot means we don't have time to boil the ocean for the client deliverable." },
}

S.case("counts", function()
  local o = oai.tokenizer("o200k_base", dir .. "/o200k_base.tiktoken")
  local c = oai.tokenizer_for_model("gpt-4", dir)
  S.eq(o:name(), "o200k_base", "name")
  S.eq(c:name(), "cl100k_base", "name")
  S.eq(o:count(""), 0, "empty")
  S.eq(o:count("hello world"), 2, "o200k hello world")
  S.eq(c:count("hello world"), 2, "cl100k hello world")
  S.eq(c:count("tiktoken is great!"), 6, "tiktoken is great!")
  S.ok(o:count("a\0b") >= 2, "NUL bytes are text")
  S.eq(c:count("a\255b"), c:count("a\239\191\189b"), "invalid UTF-8 counts as U+FFFD")
  o:free(); o:free()
  local err = S.raises(function() o:count("x") end, "a freed tokenizer")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
end)

S.case("special tokens", function()
  local o = oai.tokenizer_for_model("gpt-4o-mini", dir)
  S.eq(o:count("<|endoftext|>"), 7, "ordinary")
  o:set_special_tokens("allowed")
  S.eq(o:count("<|endoftext|>"), 1, "allowed")
  S.eq(o:count("a<|endoftext|>b<|endofprompt|>"), 4, "allowed, two")
  o:set_special_tokens(oai.SPECIAL_DISALLOWED)
  local err = S.raises(function() o:count("x <|endoftext|>") end, "disallowed")
  S.ok(oai.is_error(err), "an oai.Error")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  S.ok(err.message:find("<|endoftext|>", 1, true), "the message names it: " .. tostring(err.message))
  S.eq(o:count("no special here"), 3, "disallowed, none")
  S.raises(function() o:set_special_tokens(7) end, "mode 7")
  S.raises(function() o:set_special_tokens("sometimes") end, "an unknown mode")
end)

S.case("chat messages: the cookbook", function()
  local o = oai.tokenizer_for_model("gpt-4o-mini", dir)
  local c = oai.tokenizer_for_model("gpt-4", dir)
  local req = oai.chat_request("gpt-4o-mini", {})
  req:set("/messages", COOKBOOK) -- with their names
  S.eq(o:count_chat(req), 124, "gpt-4o-mini")
  S.eq(c:count_chat(req), 129, "gpt-4")
  S.eq(o:count_messages(COOKBOOK), 124, "a Lua array")
  S.eq(o:count_messages('[{"role":"user","content":[{"type":"text","text":"hello world"},'
    .. '{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},'
    .. '{"role":"assistant","content":null,"weight":0}]'), 13, "content parts")
  S.eq(o:count_messages("[]"), 3, "none")
  S.eq(o:count_messages({}), 3, "an empty table")
  for _, bad in ipairs({ "{}", "[1]", "[" }) do
    local err = S.raises(function() o:count_messages(bad) end, bad)
    S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, bad)
  end
end)

S.case("unknown encoding and model", function()
  local err = S.raises(function() oai.tokenizer("p50k_base") end, "p50k_base")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  S.eq(err.name, "OAI_ERR_INVALID_ARGUMENT", "name")
  S.ok(err.message:find("p50k_base", 1, true), "names the encoding")
  err = S.raises(function() oai.tokenizer_for_model("no-such-model-xyz") end, "an unknown model")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  S.ok(err.message:find("no-such-model-xyz", 1, true), "names the model")
  err = S.raises(function() oai.tokenizer("o200k_base", "/nonexistent/o200k_base.tiktoken") end, "no file")
  S.eq(err.status, oai.status.ERR_IO, "status")
end)

S.run(...)
