-- Errors as Lua errors: oai.Error tables carrying status, HTTP status,
-- request id and message, against oai-mock-server --script (a 429 storm, a
-- 404, a stream that breaks) and local mistakes.
local S = require("support")
local oai = require("oai")

local script = [[
[
  {"match": {"method": "POST", "path": "/v1/chat/completions"}, "repeat": 3, "status": 429,
   "headers": {"retry-after-ms": 10, "x-request-id": "req_storm"},
   "body": {"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests",
                      "param": null, "code": "rate_limit_exceeded"}}},
  {"match": {"method": "GET", "path": "/v1/files/*"}, "status": 404,
   "headers": {"x-request-id": "req_404"},
   "body": {"error": {"message": "No such File object: file-nope", "type": "invalid_request_error",
                      "param": "id", "code": null}}},
  {"match": {"method": "POST", "path": "/v1/completions"}, "repeat": 3, "status": 429,
   "headers": {"retry-after-ms": 10, "x-request-id": "req_async_storm"},
   "body": {"error": {"message": "Slow down", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}},
  {"match": {"method": "POST", "path": "/v1/responses"},
   "chunks": [
     "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hel\"}\n\n",
     "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"lo\"}\n\n",
     "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\" world\"}\n\n"
   ],
   "fault": {"type": "reset", "after_chunks": 2}}
]
]]

local mock = S.start_mock(S.script(script))

local function new_client()
  return oai.client { base_url = mock.url, api_key = "sk-local", max_retries = 2, retry_backoff_ms = { 1, 5 } }
end

S.case("a 429 storm outlasting the retries", function()
  local client = new_client()
  local err = S.raises(function()
    client:chat("gpt-4o-mini", { { "user", "hi" } })
  end, "chat during a storm")
  S.ok(oai.is_error(err), "an oai.Error")
  S.eq(err.status, oai.status.ERR_RATE_LIMIT, "status")
  S.eq(err.name, "OAI_ERR_RATE_LIMIT", "name")
  S.eq(err.http_status, 429, "http status")
  S.eq(err.request_id, "req_storm", "request id")
  S.eq(err.message, "Rate limit reached for gpt-4o-mini", "message")
  S.eq(err.code, "rate_limit_exceeded", "code")
  S.eq(err.type, "requests", "type")
  S.eq(err.retry_count, 2, "retries")
  S.eq(err.retry_after_ms, 10, "retry-after")
  S.eq(err.response.status, oai.status.ERR_RATE_LIMIT, "the response rides along")
  S.eq(tostring(err), "OAI_ERR_RATE_LIMIT (HTTP 429): Rate limit reached for gpt-4o-mini [request req_storm]",
    "tostring")
  -- The storm is over: the next call is answered.
  S.eq(client:chat("gpt-4o-mini", { { "user", "again" } }).text, "Echo: again", "after the storm")
end)

S.case("a 404", function()
  local client = new_client()
  local err = S.raises(function() client:send(oai.file_retrieve_request("file-nope")) end, "a missing file")
  S.eq(err.status, oai.status.ERR_NOT_FOUND, "status")
  S.eq(err.http_status, 404, "http status")
  S.eq(err.request_id, "req_404", "request id")
  S.eq(err.message, "No such File object: file-nope", "message")
  S.eq(err.param, "id", "param")
  -- try_send() returns the failed response instead.
  local res = client:try_send(oai.model_retrieve_request("no-such-model"))
  S.eq(res.status, oai.status.ERR_NOT_FOUND, "try_send status")
  S.eq(res.ok, false, "not ok")
  S.ok(res.error_message:find("no-such-model", 1, true), "the built-in 404's message")
  S.eq(res:error().http_status, 404, "Response:error()")
  local e2 = S.raises(function() res:raise() end, "Response:raise()")
  S.eq(e2.request_id, res.request_id, "the same request id")
end)

S.case("an async call's error, pulled", function()
  local client = new_client()
  local call = client:start(oai.completion_request("gpt-4o-mini", "hurry"))
  while client:poll(0) > 0 do end
  S.eq(call:status(), oai.status.ERR_RATE_LIMIT, "call status")
  local err = S.raises(function() call:result() end, "result()")
  S.eq(err.request_id, "req_async_storm", "request id")
  S.eq(err.message, "Slow down", "message")
  S.eq(call:response().http_status, 429, "response() does not raise")
end)

S.case("a stream that breaks", function()
  local client = new_client()
  local texts = {}
  local err = S.raises(function()
    for ev in client:stream(oai.response_request("gpt-4o-mini", "hello")) do
      if ev.type == "text" then texts[#texts + 1] = ev.text end
    end
  end, "the broken stream")
  S.eq(table.concat(texts), "Hello", "what arrived before the break")
  S.eq(err.status, oai.status.ERR_CONNECTION, "status")
end)

S.case("local mistakes", function()
  local client = new_client()
  local bad = oai.request("GET POST", "/models")
  local st, msg = bad:status()
  S.eq(st, oai.status.ERR_INVALID_ARGUMENT, "a bad method makes a failed request")
  S.ok(msg and #msg > 0, "with a message")
  local err = S.raises(function() client:send(bad) end, "sending it")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  S.eq(err.http_status, 0, "no HTTP status")
  S.eq(err.request_id, nil, "no request id")
  -- The same through the pull API: the call ends at once with the status.
  local call = client:start(bad)
  while not call:done() do client:poll(0) end
  S.eq(call:status(), oai.status.ERR_INVALID_ARGUMENT, "call status")
  err = S.raises(function() oai.chat_request("m", { { "user", "x" } }, { temperature = 0 / 0 }) end, "NaN")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "NaN status")
  err = S.raises(function() oai.chat_request("m", {}, { bad = function() end }) end, "a function value")
  S.ok(tostring(err):find("function", 1, true), "names the type")
end)

S.run(...)
