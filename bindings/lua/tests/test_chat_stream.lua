-- Chat, the other text endpoints, streaming through the pull API, async
-- calls, cancel, files and local validation, against oai-mock-server.
local S = require("support")
local oai = require("oai")

local mock = S.start_mock("--stream-pieces 6")
local function new_client(extra)
  local opts = {}
  opts.base_url = mock.url
  opts.api_key = "sk-local"
  for k, v in pairs(extra or {}) do opts[k] = v end
  return oai.client(opts)
end

S.case("version", function()
  S.ok(oai.version():match("^%d+%.%d+%.%d+$"), "version string")
  S.eq(oai.status_name(oai.status.ERR_RATE_LIMIT), "OAI_ERR_RATE_LIMIT", "status name")
end)

S.case("chat", function()
  local client = new_client()
  local res = client:chat("gpt-4o-mini", { { role = "user", content = "hello" } }, { temperature = 0.5, max_tokens = 50 })
  S.eq(res.status, 0, "status")
  S.eq(res.ok, true, "ok")
  S.eq(res.http_status, 200, "http status")
  S.ok(res.request_id and res.request_id:match("^req_mock_%d+$"), "request id")
  S.eq(res.text, "Echo: hello", "text")
  S.eq(res:get_string("/object"), "chat.completion", "object")
  S.eq(res:get_string("/choices/0/message/role"), "assistant", "role")
  S.ok(res:get_int("/usage/total_tokens") > 0, "usage")
  S.eq(res:get_count("/choices"), 1, "choice count")
  S.ok(res.json:find('"object":"chat.completion"', 1, true), "json text")
  S.ok(res:get_json("/choices/0/message"):find('"content":"Echo: hello"', 1, true), "json at a pointer")
  S.eq(res:error(), nil, "no error")
  S.ok(tostring(res):find("OAI_OK", 1, true), "tostring")
end)

S.case("request building", function()
  local req = oai.chat_request("gpt-4o-mini", { { "system", "be brief" }, { "user", "hi" } },
    { temperature = 0.25, n = 1, metadata = { app = "test" }, stop = { "x", "y" } })
  S.eq(req:method(), "POST", "method")
  S.eq(req:path(), "/chat/completions", "path")
  S.eq(req:get_count("/messages"), 2, "messages")
  S.eq(req:get_string("/messages/0/role"), "system", "first role")
  S.eq(req:get_string("/metadata/app"), "test", "table value")
  S.eq(req:get_string("/stop/1"), "y", "array value")
  req:add_message("user", { { type = "text", text = "parts" } })
  S.eq(req:get_string("/messages/2/content/0/text"), "parts", "content parts")
  req:set("/user", "u1"):set("/seed", 7):set("/logprobs", false):set("/suffix", oai.null)
  local body = req:body()
  S.ok(body:find('"seed":7', 1, true) and body:find('"temperature":0.25', 1, true), "body " .. body)
  S.ok(body:find('"suffix":null', 1, true), "null")
  req:remove("/suffix")
  S.ok(not req:body():find("suffix", 1, true), "removed")
  local copy = req:clone()
  req:free()
  S.eq(copy:get_string("/user"), "u1", "clone outlives its original")
  local bad = S.raises(function() copy:set("/messages/99/x", 1) end, "a set past an array's end")
  S.ok(oai.is_error(bad), "an oai.Error")
  S.eq(bad.status, oai.status.ERR_INVALID_ARGUMENT, "status")
end)

S.case("completions, responses, embeddings, models", function()
  local client = new_client()
  S.eq(client:send(oai.completion_request("gpt-4o-mini", "say this")).text, "Echo: say this", "completion")
  S.eq(client:send(oai.response_request("gpt-4o-mini", "and this")).text, "Echo: and this", "responses")
  local emb = client:send(oai.embedding_request("text-embedding-3-small", { "a", "b" }))
  S.eq(emb:get_count("/data"), 2, "two embeddings")
  S.eq(#emb:embedding(1), 8, "dimensions")
  local models = client:send(oai.model_list_request())
  S.ok(models:get_count("/data") >= 1, "models")
end)

S.case("stream: events and text", function()
  local client = new_client()
  local req = oai.chat_request("gpt-4o-mini", { { role = "user", content = "count to five please" } })
  local types, texts = {}, {}
  local it, call = client:stream(req)
  for ev in it do
    types[#types + 1] = ev.type
    if ev.type == "text" then texts[#texts + 1] = ev.text end
  end
  S.ok(#texts >= 2, "several text events (" .. #texts .. ")")
  S.eq(types[#types], "done", "the last event")
  local res = call:result()
  S.eq(table.concat(texts), "Echo: count to five please", "streamed text")
  S.eq(res.text, "Echo: count to five please", "accumulated text")
  S.eq(res:get_string("/object"), "chat.completion", "accumulated in a completion's shape")
  -- The request given to stream() is not changed.
  S.eq(req:get_bool("/stream"), false, "request untouched")
  S.ok(not req:body():find('"stream"', 1, true), "request not streaming")
end)

S.case("stream: pulled by hand", function()
  local client = new_client()
  local call = client:start(oai.response_request("gpt-4o-mini", "pull me", { stream = true }))
  local text, events = {}, 0
  while not call:done() do
    client:poll(10)
    for ev in call:events() do
      events = events + 1
      if ev.type == "text" then text[#text + 1] = ev.text end
      S.ok(ev.data and ev.data:sub(1, 1) == "{", "raw JSON data")
    end
  end
  for ev in call:events() do
    events = events + 1
    if ev.type == "text" then text[#text + 1] = ev.text end
  end
  S.eq(table.concat(text), "Echo: pull me", "responses stream text")
  S.eq(call:result().text, "Echo: pull me", "result")
  S.eq(call:result(), call:response(), "one response object")
  S.ok(events > 2, "events")
  call:free()
  call:free() -- twice is fine
  S.eq(call:done(), true, "a freed call reads as done")
end)

S.case("async calls", function()
  local client = new_client()
  local calls = {}
  for i = 1, 5 do
    calls[i] = client:start(oai.chat_request("gpt-4o-mini", { { "user", "call " .. i } }))
  end
  S.raises(function() calls[1]:result() end, "result() of a running call")
  while client:poll(50) > 0 do end
  for i = 1, 5 do
    S.eq(calls[i]:done(), true, "done")
    S.eq(calls[i]:status(), 0, "status")
    S.eq(calls[i]:result().text, "Echo: call " .. i, "text " .. i)
  end
  -- wait() polls until the end.
  local call = client:start(oai.completion_request("gpt-4o-mini", "waited"))
  S.eq(call:wait().text, "Echo: waited", "wait")
end)

S.case("cancel", function()
  local slow = S.start_mock("--stream-pieces 50 --stream-delay-ms 20")
  local client = new_client { base_url = slow.url }
  local call = client:start(oai.chat_request("gpt-4o-mini", { { "user", "a long answer" } }, { stream = true }))
  call:cancel() -- before any poll: it cannot have ended yet
  while not call:done() do client:poll(10) end
  S.eq(call:status(), oai.status.ERR_CANCELLED, "cancelled")
  local err = S.raises(function() call:result() end, "result() of a cancelled call")
  S.eq(err.status, oai.status.ERR_CANCELLED, "the error's status")
  S.eq(call:response().status, oai.status.ERR_CANCELLED, "response()")
  slow.stop()
end)

S.case("client options", function()
  local client = new_client {
    timeout_ms = 30000, connect_timeout_ms = 2000, max_retries = 1, retry_backoff_ms = { 10, 100 },
    headers = { ["X-Test"] = "1" }, user_agent = "lua-test", poll_budget_us = 1000, log_level = "off",
  }
  S.eq(client:base_url(), mock.url, "base url")
  client:set("max_retries", 0)
  local e = S.raises(function() oai.client { base_url = "ftp://example.com" } end, "a bad base URL")
  S.eq(e.status, oai.status.ERR_INVALID_ARGUMENT, "bad base url status")
  e = S.raises(function() oai.client { colour = "red" } end, "an unknown option")
  S.ok(tostring(e):find("colour", 1, true), "names the option")
  e = S.raises(function() client:set_poll_budget_us(-1) end, "a negative budget")
  S.eq(e.status, oai.status.ERR_INVALID_ARGUMENT, "budget status")
  client:close()
  e = S.raises(function() client:poll(0) end, "poll on a closed client")
  S.eq(e.status, oai.status.ERR_INVALID_ARGUMENT, "closed status")
  S.eq(client:closed(), true, "closed")
end)

S.case("files and training data", function()
  local client = new_client()
  local path = os.tmpname()
  local line = '{"messages":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"}]}\n'
  S.write_file(path, string.rep(line, 10))
  local report = oai.validate_training_file(path)
  S.eq(report.valid, true, "valid training data")
  S.eq(report.examples, 10, "examples")
  local uploaded = client:upload_file(path, "fine-tune")
  local id = uploaded:get_string("/id")
  S.ok(id and id:match("^file%-"), "file id")
  S.eq(uploaded:get_int("/bytes"), 10 * #line, "bytes")
  local content = client:send(oai.file_retrieve_content_request(id))
  S.eq(content.body, string.rep(line, 10), "content")
  local listed = client:send(oai.file_list_request():set_query("purpose", "fine-tune"))
  S.ok(listed:get_count("/data") >= 1, "listed")
  local large = client:upload_large_file(path, "fine-tune", "application/jsonl")
  S.ok(large:get_string("/file/id"), "large upload's file id")
  S.eq(client:send(oai.file_delete_request(id)):get_bool("/deleted"), true, "deleted")

  S.write_file(path, '{"messages": [}\n')
  report = oai.validate_training_file(path)
  S.eq(report.valid, false, "invalid data")
  S.eq(report.problems[1].line, 1, "problem line")
  S.eq(report.problems[1].code, "invalid_json", "problem code")
  os.remove(path)

  -- A file that cannot be read: the request carries the error, and sending reports it.
  local e = S.raises(function() client:upload_file("/nonexistent/train.jsonl", "fine-tune") end, "missing file")
  S.eq(e.status, oai.status.ERR_IO, "missing file status")
  S.ok(e.message:find("nonexistent", 1, true), "message names the file")
end)

S.run(...)
