-- Azure OpenAI clients (oai.azure_client), client-wide query parameters and
-- clones, against the mock server's Azure mode (paths under /openai/, the
-- api-version query and the credential headers checked as Azure does;
-- tests/test_azure.c). The token callback is not wrapped (README.md).
local S = require("support")
local oai = require("oai")

local mock = S.start_mock()
local endpoint = "http://127.0.0.1:" .. mock.port
local VERSION = "2024-10-21"

local function azure(opts)
  local o = { azure_endpoint = endpoint, api_version = VERSION, retry_backoff_ms = { 1, 5 } }
  for k, v in pairs(opts or {}) do o[k] = v end
  return oai.azure_client(o)
end

S.case("the deployments API", function()
  local c = azure { api_key = "azure-key" }
  S.ok(c:is_azure(), "is_azure")
  S.eq(c:base_url(), endpoint .. "/openai", "base URL")
  S.eq(c:chat("my-gpt4o", { { "user", "hello azure" } }).text, "Echo: hello azure", "chat")
  local res = c:send(oai.embedding_request("emb small", "hi"))
  S.eq(res.status, 0, "embeddings")
  c:set("azure_deployment", "fixed")
  S.eq(c:chat("ignored", { { "user", "d" } }).text, "Echo: d", "a fixed deployment")
  S.raises(function() c:set("azure_deployment", "a/b") end, "a deployment with /")
  c:close()
end)

S.case("the v1 API", function()
  local c = azure { api_version = "v1", api_key = "k" }
  S.eq(c:base_url(), endpoint .. "/openai/v1", "base URL")
  S.eq(c:chat("gpt-4o-mini", { { "user", "v1" } }).text, "Echo: v1", "chat")
end)

S.case("Entra ID token, missing settings", function()
  local c = azure { azure_ad_token = "entra-fixed" }
  S.eq(c:chat("d", { { "user", "ad" } }).text, "Echo: ad", "a fixed token")
  c = azure { azure_ad_token = "expired-token", max_retries = 0 }
  local err = S.raises(function() c:chat("d", { { "user", "ad" } }) end, "a refused token")
  S.eq(err.status, oai.status.ERR_AUTHENTICATION, "status")
  S.eq(err.http_status, 401, "HTTP status")
  -- (AZURE_OPENAI_* are not set by ctest: nothing comes from the environment.)
  c = azure {}
  err = S.raises(function() c:chat("d", { { "user", "x" } }) end, "no credential")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  S.ok(err.message:find("no credentials", 1, true), err.message)
  err = S.raises(function() azure { azure_endpoint = "not a url" } end, "a bad endpoint")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
  err = S.raises(function() oai.client { azure_endpoint = endpoint } end, "Azure setting on a plain client")
  S.eq(err.status, oai.status.ERR_INVALID_ARGUMENT, "status")
end)

S.case("default query and clones", function()
  local base = endpoint .. "/openai/deployments/dep"
  local c = oai.client { base_url = base, headers = { ["api-key"] = "k" }, max_retries = 0 }
  S.ok(not c:is_azure(), "not Azure")
  local err = S.raises(function() c:chat("m", { { "user", "q" } }) end, "no api-version")
  S.eq(err.status, oai.status.ERR_NOT_FOUND, "status")
  c:set_query("api-version", VERSION)
  S.eq(c:query("api-version"), VERSION, "query")
  S.eq(c:chat("m", { { "user", "q" } }).text, "Echo: q", "with the default query")
  local copy = c:clone()
  c:set_query("api-version", nil)
  S.eq(c:query("api-version"), nil, "removed")
  c:close()
  S.eq(copy:query("api-version"), VERSION, "the clone keeps its own")
  S.eq(copy:chat("m", { { "user", "c" } }).text, "Echo: c", "the clone outlives the original")
  copy = nil
  collectgarbage()
  local az = azure { api_key = "k" }
  local az2 = az:clone()
  az = nil
  collectgarbage()
  S.ok(az2:is_azure(), "a clone of an Azure client is one")
  S.eq(az2:chat("d", { { "user", "z" } }).text, "Echo: z", "chat")
  local q = oai.client { base_url = base, query = { ["api-version"] = VERSION }, headers = { ["api-key"] = "k" } }
  S.eq(q:chat("m", { { "user", "kw" } }).text, "Echo: kw", "query option")
  S.raises(function() q:set_query("", "x") end, "an empty name")
end)

S.run(...)
