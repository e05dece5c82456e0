-- Keeps the hand-written ffi.cdef of oai.lua in sync with include/oai.h,
-- without compiling anything: every function and callback type declared in
-- the cdef must be declared in the header with the same signature (white
-- space and parameter names aside), and must not be deprecated. The one
-- deliberate difference is oai_status, an enum in C and an int in the cdef.
-- Also checks that the binding never makes a C callback: no ffi.cast of a
-- Lua function, no *_callback setter declared.
--
--   luajit test_cdef_sync.lua [BINDING_LUA [OAI_H]]
local S = require("support")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local binding_path = arg[1] or (here .. "/../oai.lua")
local header_path = arg[2] or (here .. "/../../../include/oai.h")

local binding = assert(S.read_file(binding_path), "cannot read " .. binding_path)
local header = assert(S.read_file(header_path), "cannot read " .. header_path)

-- "const char *x" and "const char* x" alike; parameter names dropped.
local function normalize_params(params)
  params = params:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if params == "void" or params == "" then return "void" end
  local out = {}
  for p in (params .. ","):gmatch("([^,]*),") do
    p = p:gsub("%s*%*%s*", " * "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
    -- Drop the parameter's name: the last identifier, when something precedes it.
    local typ = p:match("^(.-)%s*[%a_][%w_]*$")
    if typ and typ ~= "" and not typ:match("^%s*$") and typ ~= "const" and typ ~= "struct" then p = typ end
    out[#out + 1] = p:gsub("%s+$", "")
  end
  return table.concat(out, ", ")
end

local function normalize_type(t)
  return (t:gsub("%s*%*%s*", " * "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- The header's declarations: name -> {ret=, params=, deprecated=}.
local text = header:gsub("/%*.-%*/", " "):gsub("//[^\n]*", " ")
local decls, types = {}, {}
for pre, ret, name, params in text:gmatch("(OAI_DEPRECATED%b()%s*)OAI_API%s+([^;{}()]-)%f[%w_](oai_[%w_]+)%s*(%b())%s*;") do
  decls[name] = { ret = normalize_type(ret), params = normalize_params(params:sub(2, -2)), deprecated = true }
end
for ret, name, params in text:gmatch("OAI_API%s+([^;{}()]-)%f[%w_](oai_[%w_]+)%s*(%b())%s*;") do
  if not decls[name] then
    decls[name] = { ret = normalize_type(ret), params = normalize_params(params:sub(2, -2)), deprecated = false }
  end
end
for ret, name, params in text:gmatch("typedef%s+([^;{}()]-)%(%s*%*%s*(oai_[%w_]+)%s*%)%s*(%b())%s*;") do
  types[name] = { ret = normalize_type(ret), params = normalize_params(params:sub(2, -2)) }
end

local cdef = binding:match("ffi%.cdef%s*%[%[(.-)%]%]")
S.ok(cdef, "oai.lua has an ffi.cdef block")

local checked, failures = 0, {}
local function fail(msg) failures[#failures + 1] = msg end

S.case("every cdef'd function is in oai.h, same signature, not deprecated", function()
  local seen = {}
  for ret, name, params in cdef:gmatch("\n%s*([^;\n()]-)%f[%w_](oai_[%w_]+)%s*(%b())%s*;") do
    if not ret:match("typedef") then
      if seen[name] then fail(name .. ": declared twice in the cdef") end
      seen[name] = true
      checked = checked + 1
      local d = decls[name]
      if not d then
        fail(name .. ": not declared in " .. header_path)
      else
        local want_ret = normalize_type(ret)
        local got_params = normalize_params(params:sub(2, -2))
        if d.deprecated then fail(name .. ": deprecated in the header") end
        if d.ret ~= want_ret then fail(string.format("%s: returns '%s' in the header, '%s' in the cdef", name, d.ret, want_ret)) end
        if d.params ~= got_params then
          fail(string.format("%s: parameters (%s) in the header, (%s) in the cdef", name, d.params, got_params))
        end
      end
      if name:match("_callback%d*$") then fail(name .. ": the binding must not set C callbacks") end
    end
  end
  print(string.format("  %d functions checked against %d in the header", checked, (function()
    local n = 0; for _ in pairs(decls) do n = n + 1 end; return n end)()))
  S.ok(checked > 100, "the cdef was parsed (" .. checked .. " functions)")
  S.ok(#failures == 0, "in sync:\n  " .. table.concat(failures, "\n  "))
end)

S.case("every cdef'd callback type matches the header", function()
  local n = 0
  for ret, name, params in cdef:gmatch("typedef%s+([^;{}()]-)%(%s*%*%s*(oai_[%w_]+)%s*%)%s*(%b())%s*;") do
    n = n + 1
    local t = types[name]
    S.ok(t, name .. " is a type of the header")
    S.eq(normalize_type(ret), t.ret, name .. "'s return type")
    S.eq(normalize_params(params:sub(2, -2)), t.params, name .. "'s parameters")
  end
  S.ok(n > 0, "callback types found")
  -- The one difference, on purpose.
  S.ok(cdef:find("typedef int oai_status;", 1, true), "oai_status crosses as int")
  S.ok(header:find("typedef enum oai_status {", 1, true), "oai_status is an enum in the header")
end)

S.case("no C callback is ever made", function()
  S.ok(not binding:find("ffi%.cast"), "oai.lua has no ffi.cast (which is how a Lua callback is made)")
  -- Every function-pointer argument is passed nil.
  for call in binding:gmatch("lib%.oai_client_start[%w_]*%b()") do
    S.ok(call:find("nil, nil%)$") or call:find("nil, nil, nil, nil%)%)?$"), "callbacks passed nil in " .. call)
  end
end)

S.run()
