-- The case that made LuaJIT panic ("bad callback") with a callback-based
-- binding: many streams driven from a JIT-compiled
--     while client:poll(0) > 0 do ... end
-- loop. The binding takes every event and result with the pull API, so no
-- C code ever calls back into Lua while a trace runs.
--
-- That the loop really runs as compiled code is checked, not assumed:
-- jit.attach() reports each trace the compiler starts and completes, and
-- the test requires completed traces that start inside the loop's lines.
local S = require("support")
local oai = require("oai")
local jit = require("jit")
local jutil = require("jit.util")

local STREAMS = 20
-- 30 words: the mock cuts an answer into at most one event per word.
local FILLER = " one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen" ..
    " sixteen seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour twentyfive"

-- Streams long enough (30 events, 3 ms apart) that the loop turns thousands
-- of times, far past the JIT's hot-loop threshold (56 by default).
local mock = S.start_mock("--stream-pieces 30 --stream-delay-ms 3")

-- Trace events of the compiler: where each trace started, and which completed.
local traces = { started = {}, completed = {}, aborted = {} }
local function on_trace(what, tr, func, pc, otr, oex)
  if what == "start" then
    local info = jutil.funcinfo(func, pc)
    traces.started[tr] = { source = info.source, line = info.currentline }
  elseif what == "stop" then
    local start = traces.started[tr]
    if start then
      local info = jutil.traceinfo(tr)
      traces.completed[#traces.completed + 1] = {
        tr = tr, source = start.source, line = start.line, linktype = info and info.linktype,
      }
    end
  elseif what == "abort" then
    local start = traces.started[tr]
    local ok, vmdef = pcall(require, "jit.vmdef")
    local reason = ok and vmdef.traceerr[otr] or tostring(otr)
    if type(reason) == "string" and oex then reason = reason:gsub("%%d", tostring(oex)) end
    traces.aborted[#traces.aborted + 1] = (start and (start.source .. ":" .. start.line) or "?") ..
        ": " .. tostring(reason)
  end
end

local this_source = debug.getinfo(1, "S").source

-- The completed traces that start between two lines of this file.
local function traces_between(first, last)
  local found = {}
  for _, t in ipairs(traces.completed) do
    if t.source == this_source and t.line >= first and t.line <= last then found[#found + 1] = t end
  end
  return found
end

local function describe(list)
  local parts = {}
  for _, t in ipairs(list) do parts[#parts + 1] = string.format("#%d@%d(%s)", t.tr, t.line, tostring(t.linktype)) end
  return table.concat(parts, " ")
end

S.case("20 streams from a JIT-hot poll loop, no callback", function()
  S.ok(jit.status(), "the JIT is on (jit.status())")
  jit.on()
  jit.flush()
  jit.attach(on_trace, "trace")

  local client = oai.client { base_url = mock.url, api_key = "sk-local" }
  local calls, texts, counts, last_type = {}, {}, {}, {}
  for i = 1, STREAMS do
    calls[i] = client:start(oai.chat_request("gpt-4o-mini", { { "user", "stream number " .. i .. FILLER } }, { stream = true }))
    texts[i], counts[i] = {}, 0
  end

  local iterations = 0
  local loop_first = debug.getinfo(1, "l").currentline + 1
  while client:poll(0) > 0 do
    for i = 1, STREAMS do
      local call = calls[i]
      local ev = call:next_event()
      while ev do
        if ev.type == "text" then
          local t = texts[i]
          t[#t + 1] = ev.text
        end
        counts[i] = counts[i] + 1
        last_type[i] = ev.type
        ev = call:next_event()
      end
    end
    iterations = iterations + 1
  end
  local loop_last = debug.getinfo(1, "l").currentline - 1

  -- Every call has ended; take the events still queued, then the results.
  for i = 1, STREAMS do
    for ev in calls[i]:events() do
      if ev.type == "text" then texts[i][#texts[i] + 1] = ev.text end
      counts[i] = counts[i] + 1
      last_type[i] = ev.type
    end
  end
  jit.attach(on_trace)

  for i = 1, STREAMS do
    local want = "Echo: stream number " .. i .. FILLER
    S.eq(calls[i]:done(), true, "call " .. i .. " done")
    S.eq(table.concat(texts[i]), want, "streamed text of call " .. i)
    S.eq(calls[i]:result().text, want, "accumulated text of call " .. i)
    S.eq(last_type[i], "done", "last event of call " .. i)
    S.ok(counts[i] >= 25, "events of call " .. i .. ": " .. counts[i])
  end

  local in_loop = traces_between(loop_first, loop_last)
  print(string.format("  loop: %d iterations; %d traces completed, %d in the loop (lines %d-%d): %s",
    iterations, #traces.completed, #in_loop, loop_first, loop_last, describe(in_loop)))
  if #in_loop == 0 then
    for _, a in ipairs(traces.aborted) do print("  aborted: " .. a) end
  end
  S.ok(iterations > 100, "the loop turned past the hot-loop threshold (" .. iterations .. ")")
  local loops = 0
  for _, t in ipairs(in_loop) do
    if t.linktype == "loop" then loops = loops + 1 end
  end
  S.ok(loops > 0, "the poll loop was JIT-compiled (a loop trace inside it)")
  client:close()
end)

-- The issue's "done when": 20 streamed calls and a fine-tuning follow
-- (oai_client_start_follow_fine_tuning_job(), pulled) driven from one
-- JIT-hot loop, with no callback and no blocking call inside it.
S.case("20 streams and a fine-tuning follow from a JIT-hot loop", function()
  jit.flush()
  traces.completed = {}
  jit.attach(on_trace, "trace")

  local client = oai.client { base_url = mock.url, api_key = "sk-local" }
  -- Set-up, before the loop: training data uploaded, a job created.
  local path = os.tmpname()
  S.write_file(path, string.rep('{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}\n', 10))
  local file_id = client:upload_file(path, "fine-tune"):get_string("/id")
  os.remove(path)
  local job_id = client:create_fine_tuning_job("gpt-4o-mini-2024-07-18", file_id, { suffix = "lua" }):get_string("/id")

  local calls, texts = {}, {}
  for i = 1, STREAMS do
    calls[i] = client:start(oai.chat_request("gpt-4o-mini", { { "user", "stream number " .. i .. FILLER } }, { stream = true }))
    texts[i] = {}
  end
  local follow = client:start_follow_fine_tuning_job(job_id, 10)
  local job_events = {}

  local iterations = 0
  local loop_first = debug.getinfo(1, "l").currentline + 1
  while client:poll(0) > 0 do
    for i = 1, STREAMS do
      local call = calls[i]
      local ev = call:next_event()
      while ev do
        if ev.type == "text" then
          local t = texts[i]
          t[#t + 1] = ev.text
        end
        ev = call:next_event()
      end
    end
    local ev = follow:next_event()
    while ev do
      job_events[#job_events + 1] = ev
      ev = follow:next_event()
    end
    iterations = iterations + 1
  end
  local loop_last = debug.getinfo(1, "l").currentline - 1
  for i = 1, STREAMS do
    for ev in calls[i]:events() do
      if ev.type == "text" then texts[i][#texts[i] + 1] = ev.text end
    end
  end
  for ev in follow:events() do job_events[#job_events + 1] = ev end
  jit.attach(on_trace)

  for i = 1, STREAMS do
    S.eq(table.concat(texts[i]), "Echo: stream number " .. i .. FILLER, "streamed text of call " .. i)
    S.eq(calls[i]:result().text, "Echo: stream number " .. i .. FILLER, "result of call " .. i)
  end
  local job = follow:result()
  S.eq(job:get_string("/status"), "succeeded", "the job's end")
  S.ok((job:get_string("/fine_tuned_model") or ""):match("^ft:gpt%-4o%-mini%-2024%-07%-18:mock:lua:"),
    "the tuned model: " .. tostring(job:get_string("/fine_tuned_model")))
  S.ok(#job_events >= 3, "the job's events (" .. #job_events .. ")")
  local seen, last_created = {}, 0
  for _, ev in ipairs(job_events) do
    S.eq(ev.type, "item", "a job event is an item")
    local doc = oai.json(ev.data)
    local id = doc:get_string("/id")
    S.ok(id and not seen[id], "each event once: " .. tostring(id))
    seen[id] = true
    S.ok(doc:get_int("/created_at") >= last_created, "oldest first")
    last_created = doc:get_int("/created_at")
  end
  S.ok(oai.json(job_events[#job_events].data):get_string("/message"), "an event's message")

  local in_loop = traces_between(loop_first, loop_last)
  print(string.format("  loop: %d iterations, %d job events; %d traces in the loop (lines %d-%d): %s",
    iterations, #job_events, #in_loop, loop_first, loop_last, describe(in_loop)))
  if #in_loop == 0 then
    for _, a in ipairs(traces.aborted) do print("  aborted: " .. a) end
  end
  local loops = 0
  for _, t in ipairs(in_loop) do
    if t.linktype == "loop" then loops = loops + 1 end
  end
  S.ok(iterations > 100, "the loop turned past the hot-loop threshold (" .. iterations .. ")")
  S.ok(loops > 0, "the poll loop was JIT-compiled (a loop trace inside it)")
  client:close()
end)

-- The tool loop's pull form from the same kind of loop: LOOPS tool loops
-- at once, each tool call a "tool_call" event answered with call:answer()
-- inside the compiled loop; no callback, so nothing can panic. The mock
-- answers the first TOOL_REPLIES requests with two tool calls (after a
-- delay, so that the loop turns many times), then each with the echo of
-- its user message.
S.case("10 tool loops answered from a JIT-hot loop, no callback", function()
  local LOOPS, TOOL_REPLIES = 10, 10
  local reply = '{"id":"c1","object":"chat.completion","choices":[{"index":0,"finish_reason":"tool_calls",' ..
      '"message":{"role":"assistant","content":null,"tool_calls":[' ..
      '{"id":"call_a","type":"function","function":{"name":"add","arguments":"{\\"a\\":2,\\"b\\":3}"}},' ..
      '{"id":"call_b","type":"function","function":{"name":"now","arguments":"{}"}}]}}]}'
  local tools_mock = S.start_mock(S.script('[{"match":{"path":"/v1/chat/completions"},"repeat":' .. TOOL_REPLIES ..
      ',"delay_ms":20,"headers":{"Content-Type":"application/json"},"body":' .. oai.encode_json(reply) .. '}]'))
  jit.flush()
  traces.completed = {}
  jit.attach(on_trace, "trace")

  local client = oai.client { base_url = tools_mock.url, api_key = "sk-local", max_retries = 0 }
  local calls, answered = {}, 0
  for i = 1, LOOPS do
    local req = oai.chat_request("gpt-4o-mini", { { "user", "question " .. i } })
        :add_tool("add", "Adds", { type = "object" }):add_tool("now", nil, nil)
    calls[i] = client:start_send_with_tools(req, 5)
  end

  local iterations = 0
  local loop_first = debug.getinfo(1, "l").currentline + 1
  while client:poll(0) > 0 do
    for i = 1, LOOPS do
      local call = calls[i]
      local ev = call:next_event()
      while ev do
        if ev.type == "tool_call" then
          call:answer(ev.tool_id, ev.tool_name == "add" and "5" or "noon")
          answered = answered + 1
        end
        ev = call:next_event()
      end
    end
    iterations = iterations + 1
  end
  local loop_last = debug.getinfo(1, "l").currentline - 1
  for i = 1, LOOPS do
    for _ in calls[i]:events() do end
  end
  jit.attach(on_trace)

  S.eq(answered, 2 * TOOL_REPLIES, "every tool call answered")
  local steps = 0
  for i = 1, LOOPS do
    S.eq(calls[i]:result().text, "Echo: question " .. i, "the answer of loop " .. i)
    steps = steps + calls[i].steps
    local conv = oai.json(calls[i].conversation)
    S.eq(conv:get_string("/messages/0/content"), "question " .. i, "the conversation of loop " .. i)
  end
  S.eq(steps, LOOPS + TOOL_REPLIES, "one request per loop plus one per reply that called tools")

  local in_loop = traces_between(loop_first, loop_last)
  print(string.format("  loop: %d iterations, %d tool calls answered; %d traces in the loop (lines %d-%d): %s",
    iterations, answered, #in_loop, loop_first, loop_last, describe(in_loop)))
  if #in_loop == 0 then
    for _, a in ipairs(traces.aborted) do print("  aborted: " .. a) end
  end
  local loops = 0
  for _, t in ipairs(in_loop) do
    if t.linktype == "loop" then loops = loops + 1 end
  end
  S.ok(iterations > 100, "the loop turned past the hot-loop threshold (" .. iterations .. ")")
  S.ok(loops > 0, "the poll loop was JIT-compiled (a loop trace inside it)")
  client:close()
  tools_mock.stop()
end)

S.run(...)
