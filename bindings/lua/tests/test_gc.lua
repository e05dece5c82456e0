-- Lifetimes under the garbage collector: every handle has an ffi.gc
-- finalizer (oai_client_free, oai_request_free, oai_response_free,
-- oai_call_free), and they may run in any order. Calls may outlive their
-- client (oai_call_free() is valid after oai_client_free()), responses
-- outlive everything they came from, and events are copies.
local S = require("support")
local oai = require("oai")

local mock = S.start_mock("--stream-pieces 40 --stream-delay-ms 5")

local function new_client()
  return oai.client { base_url = mock.url, api_key = "sk-local" }
end

-- 40 events 5 ms apart: 200 ms of stream, long enough to be cut short.
local LONG = string.rep(" word", 45)
local function stream_request(i)
  return oai.chat_request("gpt-4o-mini", { { "user", "question number " .. i .. LONG } }, { stream = true })
end

S.case("calls outlive a closed client", function()
  -- Streams of 2 s: still running when the client is closed, however
  -- loaded the machine (valgrind, parallel tests).
  local slow = S.start_mock("--stream-pieces 40 --stream-delay-ms 50")
  local client = oai.client { base_url = slow.url, api_key = "sk-local" }
  local calls = {}
  for i = 1, 5 do calls[i] = client:start(stream_request(i)) end
  client:poll(5)
  for i = 1, 5 do
    local res = calls[i]:done() and calls[i]:response()
    S.eq(calls[i]:done(), false, "call " .. i .. " runs" .. (res and (": " .. tostring(res:error() or res)) or ""))
  end
  client:close() -- oai_client_free() while the calls run
  collectgarbage()
  for i = 1, 5 do
    S.eq(calls[i]:done(), true, "call " .. i .. " ended with its client")
    S.eq(calls[i]:status(), oai.status.ERR_CANCELLED, "cancelled")
    for _ in calls[i]:events() do end -- what was queued may still be taken
    local err = S.raises(function() calls[i]:result() end, "result()")
    S.eq(err.status, oai.status.ERR_CANCELLED, "result's status")
    calls[i]:cancel() -- harmless now
  end
  calls[1]:free()       -- freed explicitly after the client
  calls = nil           -- the others by the collector
  collectgarbage()
  collectgarbage()
  slow.stop()
end)

S.case("a call keeps its client alive", function()
  local call = new_client():start(stream_request(1))
  collectgarbage() -- the client is only referenced by the call: not collected
  collectgarbage()
  local text = {}
  for ev in call:iter() do
    if ev.type == "text" then text[#text + 1] = ev.text end
  end
  S.eq(call:result().text, table.concat(text), "the call ran to its end")
  S.ok(#text > 5, "events")
end)

S.case("everything garbage at once, in any order", function()
  for round = 1, 20 do
    local client = new_client()
    local req = stream_request(round)
    local objects = { client, req }
    for i = 1, 4 do
      local call = client:start(req)
      objects[#objects + 1] = call
      if i % 2 == 0 then client:poll(1) end
    end
    if round % 3 == 0 then
      local done = client:start(oai.completion_request("gpt-4o-mini", "quick"))
      done:wait()
      objects[#objects + 1] = done:response()
    end
    objects = nil
    client, req = nil, nil
    if round % 4 == 0 then collectgarbage() else collectgarbage("step", 50) end
  end
  collectgarbage()
  collectgarbage()
end)

S.case("responses and events outlive their call, request and client", function()
  local client = new_client()
  local req = stream_request(7)
  local call = client:start(req)
  req:free()
  local events = {}
  while not call:done() do
    client:poll(5)
    for ev in call:events() do events[#events + 1] = ev end
  end
  for ev in call:events() do events[#events + 1] = ev end
  local res = call:result()
  call:free()
  client:close()
  call, client, req = nil, nil, nil
  collectgarbage()
  collectgarbage()
  local text = {}
  for _, ev in ipairs(events) do
    if ev.type == "text" then text[#text + 1] = ev.text end
  end
  S.eq(res.text, table.concat(text), "the response and the copied events are intact")
  S.ok(res.request_id:match("^req_mock_"), "request id")
  res:free()
  res:free()
  S.raises(function() return res.text end, "reading a freed response")
end)

S.case("a running call dropped by the collector is cancelled silently", function()
  local client = new_client()
  for i = 1, 10 do client:start(stream_request(i)) end -- dropped at once
  collectgarbage()
  collectgarbage()
  -- Their finalizers freed (and so cancelled) them: nothing runs any more.
  S.eq(client:poll(0), 0, "no call left running")
  local call = client:start(oai.completion_request("gpt-4o-mini", "still fine"))
  S.eq(call:wait().text, "Echo: still fine", "the client works on")
end)

S.run(...)
