-- A simulated LÖVE game: love.load() makes the client, love.update(dt) polls
-- it once per frame within a budget (oai_client_set_poll_budget_us) and
-- takes the streams' events with the pull API, and a love.run()-like main
-- loop runs frames at 60 fps. Games start requests at any frame, so the
-- chats start over the first frames.
local S = require("support")
local oai = require("oai")

local FRAME = 1 / 60

local function words(n, prefix)
  local t = {}
  for i = 1, n do t[i] = prefix .. i end
  return table.concat(t, " ")
end

-- Runs love.load() then love.update(dt) at 60 fps until love.quit_now is
-- set or max_frames ran; returns the frame count and the worst time spent
-- in love.update (seconds).
local function run_game(love, max_frames)
  love.load()
  local frames, worst = 0, 0
  while not love.quit_now and frames < max_frames do
    local t0 = S.now()
    love.update(FRAME)
    local spent = S.now() - t0
    if spent > worst then worst = spent end
    frames = frames + 1
    S.sleep(FRAME - spent) -- love.timer.sleep: the rest of the frame is the game's
  end
  return frames, worst
end

-- A game that starts `count` streamed chats, one every `every` frames, and
-- shows each answer as it grows.
local function chat_game(url, count, every, budget_us, prompt_words, pieces)
  local love = {}
  love.shown, love.events, love.done, love.results, love.prompts = {}, {}, 0, {}, {}
  love.quit_now = false
  local client, calls, frame = nil, {}, 0
  function love.load()
    client = oai.client { base_url = url, api_key = "sk-local", poll_budget_us = budget_us }
  end
  function love.update(dt)
    frame = frame + 1
    if #calls < count and (frame - 1) % every == 0 then
      local i = #calls + 1
      love.prompts[i] = words(prompt_words, "w" .. i .. "_")
      calls[i] = client:start(oai.chat_request("gpt-4o-mini", { { "user", love.prompts[i] } },
        { stream = true, mock_stream_pieces = pieces }))
      love.shown[i], love.events[i] = {}, 0
    end
    client:poll(0)
    for i, call in ipairs(calls) do
      if not love.results[i] then
        for ev in call:events() do
          love.events[i] = love.events[i] + 1
          if ev.type == "text" then love.shown[i][#love.shown[i] + 1] = ev.text end
        end
        if call:done() and call:next_event() == nil then
          love.results[i] = call:result()
          love.done = love.done + 1
        end
      end
    end
    if love.done == count then
      love.quit_now = true
      client:close()
    end
  end
  return love
end

S.case("love.update at 60 fps with a 1 ms budget", function()
  local mock = S.start_mock("--stream-delay-ms 5")
  local love = chat_game(mock.url, 8, 2, 1000, 12, 12)
  local frames, worst = run_game(love, 60 * 30)
  print(string.format("  %d frames, worst love.update %.2f ms", frames, worst * 1000))
  S.eq(love.done, 8, "every chat ended")
  for i = 1, 8 do
    local want = "Echo: " .. love.prompts[i]
    S.eq(table.concat(love.shown[i]), want, "streamed text " .. i)
    S.eq(love.results[i].text, want, "result " .. i)
    S.ok(love.events[i] >= 5, "events of " .. i .. ": " .. love.events[i])
  end
  S.ok(frames > 8, "the chats spread over frames (" .. frames .. ")")
  mock.stop()
end)

S.case("a 1 us budget spreads a burst over frames, nothing lost or reordered", function()
  local mock = S.start_mock()
  -- 4 chats answered at once with 300 events each: a burst.
  local love = chat_game(mock.url, 4, 1, 1, 300, 300)
  local frames = run_game(love, 60 * 60)
  print(string.format("  %d frames for 4 x 300 events", frames))
  S.eq(love.done, 4, "every chat ended")
  for i = 1, 4 do
    S.eq(table.concat(love.shown[i]), "Echo: " .. love.prompts[i], "text " .. i .. " whole and in order")
  end
  S.ok(frames > 4, "the budget made the burst take several frames (" .. frames .. ")")
  mock.stop()
end)

S.run(...)
