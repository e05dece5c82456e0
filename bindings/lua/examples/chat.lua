-- chat.lua: the LuaJIT binding in one page. A chat, a stream, then a stream
-- pulled from a 60 fps frame loop (as in LÖVE's love.update), with errors
-- as Lua errors.
--
--   OAI_LIBRARY=build/liboai.so LUA_PATH='bindings/lua/?.lua;;' \
--   OPENAI_API_KEY=sk-... luajit bindings/lua/examples/chat.lua [MODEL]
--
-- Any OpenAI-compatible server works (OPENAI_BASE_URL); the tests run it
-- against oai-mock-server.
local oai = require("oai")
local ffi = require("ffi")
ffi.cdef [[ int usleep(unsigned int usec); ]]

local model = arg[1] or "gpt-4o-mini"

local ok, err = pcall(function()
  local client = oai.client() -- OPENAI_API_KEY, OPENAI_BASE_URL, ...

  -- 1. A chat.
  local res = client:chat(model, {
    { role = "system", content = "Answer in one line." },
    { role = "user", content = "What is a haiku?" },
  }, { temperature = 0.7 })
  print("1. " .. res.text .. "  (request " .. tostring(res.request_id) .. ")")

  -- 2. A stream: a blocking iterator over its events.
  io.write("2. ")
  for ev in client:stream(oai.chat_request(model, { { "user", "Count to five." } })) do
    if ev.type == "text" then io.write("[", ev.text, "]") end
  end
  print()

  -- 3. A stream pulled once per frame: no callback, no wait.
  client:set_poll_budget_us(1000) -- at most ~1 ms of work per frame
  local call = client:start(oai.chat_request(model, { { "user", "Tell me a story." } },
    { stream = true, stream_options = { include_usage = true } }))
  local story, frames = {}, 0
  local function update(dt) -- what love.update(dt) would do
    client:poll(0)
    for ev in call:events() do
      if ev.type == "text" then story[#story + 1] = ev.text end
    end
  end
  repeat
    update(1 / 60)
    frames = frames + 1
    ffi.C.usleep(16000) -- the rest of the frame
  until call:done()
  update(1 / 60) -- what is left
  local told = call:result() -- raises if the call failed
  print(string.format("3. %s  (%d frames, %d tokens)", table.concat(story), frames,
    told:get_int("/usage/total_tokens")))
end)

if not ok then
  -- e.g. "OAI_ERR_AUTHENTICATION (HTTP 401): Incorrect API key provided [request req_...]"
  io.stderr:write("error: ", tostring(err), "\n")
  os.exit(1)
end
