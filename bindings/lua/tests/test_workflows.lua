-- The fine-tuning workflow (validate, upload, create, follow) and the batch
-- waiter, in their blocking and their pulled forms, against the mock
-- server's stateful API (tests/support/mock_state.h).
local S = require("support")
local oai = require("oai")

local mock = S.start_mock()
local LINE = '{"messages":[{"role":"user","content":"Capital of Peru?"},{"role":"assistant","content":"Lima"}]}\n'

local function new_client()
  return oai.client { base_url = mock.url, api_key = "sk-local" }
end

local function training_file(client)
  local path = os.tmpname()
  S.write_file(path, string.rep(LINE, 12))
  S.eq(oai.validate_training_file(path).valid, true, "valid data")
  local id = client:upload_file(path, "fine-tune"):get_string("/id")
  os.remove(path)
  return id
end

S.case("fine-tuning: create and follow, blocking", function()
  local client = new_client()
  local job = client:create_fine_tuning_job("gpt-4o-mini-2024-07-18", training_file(client), { suffix = "blocking" })
  local job_id = job:get_string("/id")
  S.eq(job:get_string("/status"), "validating_files", "a new job")
  local final = client:follow_fine_tuning_job(job_id, 10)
  S.eq(final:get_string("/status"), "succeeded", "followed to its end")
  S.ok(final:get_string("/fine_tuned_model"):find(":mock:blocking:", 1, true), "the tuned model")
  local events = client:send(oai.fine_tuning_job_list_events_request(job_id))
  S.ok(events:get_count("/data") >= 3, "the job's events")
  -- The tuned model answers.
  local res = client:chat(final:get_string("/fine_tuned_model"), { { "user", "Capital of Peru?" } })
  S.eq(res.text, "Echo: Capital of Peru?", "the tuned model's answer")
end)

S.case("fine-tuning: follow, pulled", function()
  local client = new_client()
  local job_id = client:create_fine_tuning_job("gpt-4o-mini-2024-07-18", training_file(client)):get_string("/id")
  local follow = client:start_follow_fine_tuning_job(job_id, 10)
  local messages = {}
  while not follow:done() do
    client:poll(20)
    for ev in follow:events() do messages[#messages + 1] = oai.json(ev.data):get_string("/message") end
  end
  for ev in follow:events() do messages[#messages + 1] = oai.json(ev.data):get_string("/message") end
  S.eq(follow:result():get_string("/status"), "succeeded", "the job ended")
  S.ok(#messages >= 3, "messages: " .. table.concat(messages, " | "))
  -- wait() is the blocking form of the same call.
  local again = client:start_follow_fine_tuning_job(job_id, 10)
  S.eq(again:wait():get_string("/status"), "succeeded", "wait()")
end)

S.case("fine-tuning: a missing job", function()
  local client = new_client()
  local err = S.raises(function() client:follow_fine_tuning_job("ftjob-nope", 10) end, "following a missing job")
  S.eq(err.status, oai.status.ERR_NOT_FOUND, "blocking: status")
  local call = client:start_follow_fine_tuning_job("ftjob-nope", 10)
  err = S.raises(function() call:wait() end, "pulled")
  S.eq(err.http_status, 404, "pulled: http status")
  local cancelled = client:start_follow_fine_tuning_job("ftjob-nope", 10)
  cancelled:cancel()
  while not cancelled:done() do client:poll(5) end
  S.eq(cancelled:status(), oai.status.ERR_CANCELLED, "cancelled")
end)

S.case("batches: wait, blocking and pulled", function()
  local client = new_client()
  local path = os.tmpname()
  S.write_file(path,
    '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"one"}]}}\n' ..
    '{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"two"}]}}\n')
  local input = client:upload_file(path, "batch"):get_string("/id")
  os.remove(path)
  local batch_id = client:send(oai.batch_create_request(input, "/v1/chat/completions")):get_string("/id")
  local batch = client:wait_for_batch(batch_id, 10)
  S.eq(batch:get_string("/status"), "completed", "blocking wait")
  local out = client:send(oai.file_retrieve_content_request(batch:get_string("/output_file_id")))
  S.ok(out.body:find("Echo: two", 1, true), "the output file")

  local batch2 = client:send(oai.batch_create_request(input, "/v1/chat/completions")):get_string("/id")
  local call = client:start_wait_for_batch(batch2, 10)
  local statuses = {}
  while not call:done() do
    client:poll(20)
    for ev in call:events() do statuses[#statuses + 1] = oai.json(ev.data):get_string("/status") end
  end
  for ev in call:events() do statuses[#statuses + 1] = oai.json(ev.data):get_string("/status") end
  S.eq(call:result():get_string("/status"), "completed", "pulled wait")
  S.eq(statuses[#statuses], "completed", "the last change seen: " .. table.concat(statuses, ","))
end)

S.case("oai.json", function()
  local doc = oai.json('{"a":{"b":[1,2.5,"x",true]}}')
  S.eq(doc:get_int("/a/b/0"), 1, "int")
  S.eq(doc:get_number("/a/b/1"), 2.5, "number")
  S.eq(doc:get_string("/a/b/2"), "x", "string")
  S.eq(doc:get_bool("/a/b/3"), true, "bool")
  S.eq(doc:get_count("/a/b"), 4, "count")
  S.eq(doc:get_string("/missing"), nil, "missing")
  S.raises(function() oai.json("{nope") end, "bad JSON")
end)

S.run(...)
