-- Test support for the LuaJIT binding: a tiny test runner, assertions, a
-- monotonic clock, and oai-mock-server as a subprocess.
--
-- Environment (set by bindings/lua/CMakeLists.txt for ctest):
--   OAI_LIBRARY       the liboai.so to load (read by oai.lua)
--   OAI_MOCK_SERVER   the oai-mock-server program
local ffi = require("ffi")

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } oai_test_timespec;
int clock_gettime(int clock_id, oai_test_timespec *tp);
int usleep(unsigned int usec);
]]

local S = {}

local ts = ffi.new("oai_test_timespec")
--- Monotonic time in seconds.
function S.now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

function S.sleep(seconds)
  if seconds > 0 then ffi.C.usleep(math.floor(seconds * 1e6)) end
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
S.read_file = read_file

function S.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local servers = {}

--- Starts oai-mock-server with extra arguments (a string) and waits for its
--- port file. Returns {url=, port=, pid=, stop=}.
function S.start_mock(args)
  local program = os.getenv("OAI_MOCK_SERVER")
  if not program or program == "" then error("OAI_MOCK_SERVER is not set", 0) end
  local base = os.tmpname()
  local port_file, pid_file, err_file = base .. ".port", base .. ".pid", base .. ".err"
  os.remove(base)
  local cmd = string.format("%s --port 0 --port-file %s %s >/dev/null 2>%s & echo $! >%s",
    shell_quote(program), shell_quote(port_file), args or "", shell_quote(err_file), shell_quote(pid_file))
  local rc = os.execute(cmd)
  assert(rc == 0 or rc == true, "cannot run " .. cmd)
  local pid = tonumber((read_file(pid_file) or ""):match("%d+"))
  local deadline = S.now() + 10
  local port
  while S.now() < deadline do
    port = tonumber((read_file(port_file) or ""):match("^(%d+)\n"))
    if port then break end
    S.sleep(0.01)
  end
  os.remove(pid_file)
  os.remove(port_file)
  local err = read_file(err_file) or ""
  os.remove(err_file)
  if not port then
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    error("oai-mock-server did not start: " .. err, 0)
  end
  local server = {}
  server.url = "http://127.0.0.1:" .. port .. "/v1"
  server.port = port
  server.pid = pid
  function server.stop()
    if server.pid then
      os.execute("kill " .. server.pid .. " 2>/dev/null")
      server.pid = nil
    end
  end
  servers[#servers + 1] = server
  return server
end

--- Writes a --script file and returns the option string for start_mock().
function S.script(json_text)
  local path = os.tmpname()
  S.write_file(path, json_text)
  S.cleanup[#S.cleanup + 1] = path
  return "--script " .. shell_quote(path), path
end
S.cleanup = {}

-- Assertions --------------------------------------------------------------

function S.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

function S.ok(cond, what)
  if not cond then error((what or "assertion") .. " failed", 2) end
  return cond
end

--- Runs fn, which must raise; returns what it raised.
function S.raises(fn, what)
  local ok, err = pcall(fn)
  if ok then error((what or "call") .. " did not raise", 2) end
  return err
end

-- The runner --------------------------------------------------------------

local cases = {}
function S.case(name, fn) cases[#cases + 1] = { name = name, fn = fn } end

--- Runs every case (or those named on the command line), stops the
--- servers, prints "N passed, M failed" and exits non-zero on a failure.
function S.run(...)
  local only = {}
  for _, a in ipairs({ ... }) do only[a] = true end
  local passed, failed = 0, 0
  for _, c in ipairs(cases) do
    if next(only) == nil or only[c.name] then
      local t0 = S.now()
      local ok, err = xpcall(c.fn, function(e)
        return tostring(e) .. "\n" .. debug.traceback("", 2)
      end)
      collectgarbage()
      if ok then
        passed = passed + 1
        print(string.format("ok   %s (%.0f ms)", c.name, (S.now() - t0) * 1000))
      else
        failed = failed + 1
        print(string.format("FAIL %s: %s", c.name, err))
      end
    end
  end
  for _, s in ipairs(servers) do s.stop() end
  for _, p in ipairs(S.cleanup) do os.remove(p) end
  print(string.format("%d passed, %d failed", passed, failed))
  -- true: close the Lua state first, so that every finalizer runs (the
  -- sanitizer builds check that nothing of liboai leaks).
  os.exit(failed == 0 and passed > 0 and 0 or 1, true)
end

return S
