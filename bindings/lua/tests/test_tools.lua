-- Structured outputs, tool-call readers, the tool loop's pull form
-- (call:answer(), no callback) and webhook verification, against
-- oai-mock-server (scripted replies where the built-in API has none).
local S = require("support")
local oai = require("oai")

local function tool_calls_reply(calls, id)
  local parts = {}
  for i, c in ipairs(calls) do
    parts[i] = string.format('{"id":"%s","type":"function","function":{"name":"%s","arguments":%s}}',
      c[1], c[2], oai.encode_json(c[3]))
  end
  return string.format('{"id":"%s","object":"chat.completion","choices":[{"index":0,"finish_reason":"tool_calls",' ..
    '"message":{"role":"assistant","content":null,"tool_calls":[%s]}}]}', id or "c1", table.concat(parts, ","))
end

local function text_reply(text)
  return '{"id":"c2","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop",' ..
    '"message":{"role":"assistant","content":' .. oai.encode_json(text) .. '}}]}'
end

-- A --script of chat replies, each used once, in order.
local function script(bodies)
  local parts = {}
  for i, b in ipairs(bodies) do
    parts[i] = '{"match":{"path":"/v1/chat/completions"},"headers":{"Content-Type":"application/json"},"body":' ..
      oai.encode_json(b) .. '}'
  end
  return S.script("[" .. table.concat(parts, ",") .. "]")
end

local WEATHER = { { "call_w", "get_weather", '{"city":"Paris"}' }, { "call_t", "get_time", "{}" } }

local function weather_request()
  return oai.chat_request("gpt-4o", { { "user", "Weather and time in Paris?" } })
      :add_tool("get_weather", "The weather", { type = "object" })
      :add_tool("get_time", nil, nil)
end

local plain = S.start_mock()

S.case("structured output: schema, parsed, parse()", function()
  local client = oai.client { base_url = plain.url, api_key = "sk-local" }
  local schema = { type = "object", properties = { city = { type = "string" }, temp_c = { type = "integer" } },
                   required = { "city", "temp_c" }, additionalProperties = false }
  local req = oai.chat_request("gpt-4o-mini", { { "user", "Paris" } }):set_json_schema("weather", schema)
  S.eq(req:get_string("/response_format/json_schema/name"), "weather", "the schema's name")
  S.eq(req:get_bool("/response_format/json_schema/strict"), true, "strict")
  local res = client:send(req)
  S.eq(res.parsed_status, oai.status.OK, "parsed_status")
  S.eq(res.parsed, '{"city":"Echo: Paris","temp_c":1}', "parsed JSON text")
  S.eq(res:parse():get_int("/temp_c"), 1, "parse()")
  S.eq(res.refusal, nil, "no refusal")
  S.eq(res.tool_call_count, 0, "no tool calls")

  res = client:chat("gpt-4o-mini", { { "user", "plain words" } })
  S.eq(res.parsed, nil, "not JSON")
  S.eq(res.parsed_status, oai.status.ERR_PROTOCOL, "ERR_PROTOCOL")
  local e = S.raises(function() res:parse() end)
  S.eq(e.status, oai.status.ERR_PROTOCOL, "parse() raises")
  e = S.raises(function() req:set_json_schema("bad name!", schema) end)
  S.eq(e.status, oai.status.ERR_INVALID_ARGUMENT, "a bad name")
  client:close()
end)

S.case("refusal and tool calls read, the conversation built by hand", function()
  local mock = S.start_mock(script {
    '{"id":"c0","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":' ..
      '{"role":"assistant","content":null,"refusal":"I cannot help with that."}}]}',
    tool_calls_reply { WEATHER[1], WEATHER[2], { "call_b", "broken", "{not json" } },
  })
  local client = oai.client { base_url = mock.url, api_key = "sk-local" }
  local res = client:chat("gpt-4o-mini", { { "user", "bad" } })
  S.eq(res.refusal, "I cannot help with that.", "refusal")
  S.eq(res.parsed_status, oai.status.ERR_TYPE, "nothing to parse")
  res = client:chat("gpt-4o-mini", { { "user", "weather" } })
  local calls = res:tool_calls()
  S.eq(#calls, 3, "three calls")
  S.eq(calls[1].id, "call_w", "id")
  S.eq(calls[1].name, "get_weather", "name")
  S.eq(calls[1].arguments, '{"city":"Paris"}', "arguments")
  S.eq(calls[1].arguments_status, 0, "valid arguments")
  S.eq(calls[3].arguments_status, oai.status.ERR_PROTOCOL, "invalid arguments")
  local req = weather_request():add_reply(res)
  for _, c in ipairs(calls) do req:add_tool_output(c.id, { ok = c.name }) end
  S.eq(req:get_count("/messages"), 5, "user, assistant, three tool results")
  S.eq(req:get_string("/messages/2/content"), '{"ok":"get_weather"}', "a table output is JSON")
  S.eq(req:get_string("/messages/1/tool_calls/1/id"), "call_t", "the assistant's calls")
  client:close()
  mock.stop()
end)

S.case("send_with_tools: a Lua function answers, called from the pull loop", function()
  local mock = S.start_mock(script { tool_calls_reply(WEATHER), text_reply("21 C in Paris at noon.") })
  local client = oai.client { base_url = mock.url, api_key = "sk-local", max_retries = 0 }
  local seen = {}
  local res, conversation = client:send_with_tools(weather_request(), function(name, arguments, id)
    seen[#seen + 1] = id .. " " .. name .. " " .. arguments
    if name == "get_weather" then return { temp_c = 21 } end
    return "12:00"
  end)
  S.eq(res.text, "21 C in Paris at noon.", "the answer")
  S.eq(table.concat(seen, ";"), 'call_w get_weather {"city":"Paris"};call_t get_time {}', "the calls answered")
  local doc = oai.json(conversation)
  S.eq(doc:get_count("/messages"), 4, "the conversation as last sent")
  S.eq(doc:get_string("/messages/2/content"), '{"temp_c":21}', "the first result")
  S.eq(doc:get_string("/messages/3/tool_call_id"), "call_t", "the second result")
  client:close()
  mock.stop()
end)

S.case("send_with_tools: nil stops, an error propagates, the step limit", function()
  local mock = S.start_mock(script {
    tool_calls_reply(WEATHER), tool_calls_reply(WEATHER), tool_calls_reply(WEATHER, "c3"), tool_calls_reply(WEATHER, "c4"),
  })
  local client = oai.client { base_url = mock.url, api_key = "sk-local", max_retries = 0 }
  local e = S.raises(function() client:send_with_tools(weather_request(), function() return nil end) end)
  S.eq(e.status, oai.status.ERR_CANCELLED, "nil cancels")
  e = S.raises(function() client:send_with_tools(weather_request(), function() error("boom", 0) end) end)
  S.eq(e, "boom", "the function's error")
  e = S.raises(function() client:send_with_tools(weather_request(), function() return "x" end, 2) end)
  S.eq(e.status, oai.status.ERR_TOO_LARGE, "the step limit")
  S.ok(e.message:find("limit of 2 steps", 1, true), e.message)
  S.eq(#e.response:tool_calls(), 2, "the last reply's calls")
  client:close()
  mock.stop()
end)

S.case("the pulled loop by hand: answers in any order, wrong answers refused", function()
  local mock = S.start_mock(script { tool_calls_reply(WEATHER), text_reply("done") })
  local client = oai.client { base_url = mock.url, api_key = "sk-local" }
  local call = client:start_send_with_tools(weather_request())
  local pending = {}
  while #pending < 2 do
    client:poll(50)
    for ev in call:events() do
      S.eq(ev.type, "tool_call", "a tool call event")
      S.eq(ev.step, 1, "step")
      pending[#pending + 1] = ev
    end
  end
  S.eq(pending[1].tool_id, "call_w", "first id")
  S.eq(pending[1].tool_name, "get_weather", "first name")
  S.eq(pending[1].text, '{"city":"Paris"}', "first arguments")
  S.eq(pending[2].tool_index, 1, "second index")
  S.eq(S.raises(function() call:answer("call_x", "?") end).status, oai.status.ERR_NOT_FOUND, "unknown id")
  call:answer(pending[2], "12:00")
  S.eq(S.raises(function() call:answer("call_t", "again") end).status, oai.status.ERR_CONFLICT, "second answer")
  call:answer("call_w", "sunny")
  local res = call:wait()
  S.eq(res.text, "done", "the answer")
  for _ in call:events() do end
  S.eq(call.steps, 2, "two requests")
  S.eq(oai.json(call.conversation):get_string("/messages/2/content"), "sunny", "answers in the calls' order")
  S.eq(S.raises(function() call:answer("call_w", "late") end).status, oai.status.ERR_INVALID_ARGUMENT, "too late")
  call:free()
  client:close()
  mock.stop()
end)

-- Fixed vectors (HMAC-SHA256, computed once with Python's hmac module).
local SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
local NOW_MS = 1700000000 * 1000
local BODY = '{"id":"evt_1","object":"event","created_at":1700000000,"type":"batch.completed","data":{"id":"batch_9"}}'
local function headers(ts, sig)
  return { ["webhook-id"] = "msg_1", ["webhook-timestamp"] = tostring(ts), ["webhook-signature"] = "v1," .. sig }
end
local GOOD = headers(1700000000, "V5ldlCBUxHI01oVNWEpIUl4T3RTBCTXFAOFXqXFtTRU=")

S.case("webhooks: verify, unwrap, error codes", function()
  local wh = oai.webhook(SECRET, { now_ms = NOW_MS })
  S.eq(wh:verify(GOOD, BODY), true, "verify")
  local json, typ = wh:unwrap(GOOD, BODY)
  S.eq(typ, "batch.completed", "type")
  S.eq(oai.json(json):get_string("/data/id"), "batch_9", "the event")
  S.eq(wh:data(), '{"id":"batch_9"}', "data")
  -- header pairs, any case
  S.eq(wh:verify({ { "Webhook-Id", "msg_1" }, { "WEBHOOK-TIMESTAMP", "1700000000" },
                   { "webhook-signature", "v1,AAAA " .. GOOD["webhook-signature"] } }, BODY), true, "pairs")
  local function code_of(h, body)
    local e = S.raises(function() wh:unwrap(h, body) end)
    S.ok(oai.is_error(e), "an oai.Error")
    return e.code, e.status
  end
  S.eq(code_of(GOOD, BODY .. " "), "signature_mismatch", "a changed body")
  S.eq(code_of({ ["webhook-id"] = "msg_1", ["webhook-signature"] = GOOD["webhook-signature"] }, BODY),
    "missing_header", "no timestamp")
  S.eq(code_of(headers("soon", "x"), BODY), "invalid_timestamp", "a bad timestamp")
  S.eq(code_of(headers(1699999699, "NxVM1EvHTu+RVsgs1TYwxoWLDPBBTkOR7PRY/PB3O/M="), BODY), "timestamp_too_old", "old")
  local code, st = code_of(headers(1700000000, "apJK9LVx43gzJ3qvqcbxuIxhCtADd+yC8nvz2wboqyM="), "[1]")
  S.eq(code, "invalid_json", "not an object")
  S.eq(st, oai.status.ERR_PROTOCOL, "ERR_PROTOCOL")
  wh:set_tolerance_ms(1000000)
  S.eq(wh:verify(headers(1699999699, "NxVM1EvHTu+RVsgs1TYwxoWLDPBBTkOR7PRY/PB3O/M="), BODY), true, "a wider window")
  wh:free()
  wh:free()

  local e = S.raises(function() oai.webhook("whsec_%%%") end)
  S.eq(e.code, "invalid_secret", "a bad secret")
  S.eq(e.status, oai.status.ERR_INVALID_ARGUMENT, "ERR_INVALID_ARGUMENT")
  local client = oai.client { base_url = plain.url, api_key = "sk-local" }
  client:set_webhook_secret(SECRET)
  wh = oai.webhook(nil, { client = client, now_ms = NOW_MS })
  S.eq(wh:verify(GOOD, BODY), true, "the client's secret")
  client:close()
end)

S.run(...)
