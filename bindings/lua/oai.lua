--[[
oai.lua: a LuaJIT FFI binding of liboai (include/oai.h), with no C callback
anywhere: results and streamed events are *pulled* (oai_call_is_done(),
oai_call_take_response(), oai_call_next_event()), so the binding is safe in
JIT-compiled loops such as LÖVE's love.update() or
`while client:poll(0) > 0 do ... end`, where a C-to-Lua callback would make
LuaJIT panic ("bad callback").

    local oai = require("oai")
    local client = oai.client{ base_url = "http://127.0.0.1:8080/v1", api_key = "sk-local" }
    print(client:chat("gpt-4o-mini", {{ role = "user", content = "hello" }}).text)

The library is loaded from $OAI_LIBRARY when set, else ffi.load("oai")
(liboai.so on the loader's path). See README.md beside this file for the
whole surface and the lifetimes of objects.

SPDX-License-Identifier: MIT
]]

local ffi = require("ffi")

-- The subset of include/oai.h this binding uses, written by hand with
-- FFI-clean types: every enumeration crosses as int (oai_status is an enum
-- in C; an int has its size and representation), handles are opaque.
-- tests/test_cdef_sync.lua checks each function against the header.
-- No callback type is ever given a Lua function: the function-pointer
-- parameters below are always passed nil.
ffi.cdef [[
typedef int oai_status;
typedef struct oai_client oai_client;
typedef struct oai_request oai_request;
typedef struct oai_response oai_response;
typedef struct oai_value oai_value;
typedef struct oai_call oai_call;
typedef struct oai_event oai_event;
typedef struct oai_training_report oai_training_report;
typedef struct oai_webhook oai_webhook;
typedef void (*oai_done_fn)(void *userdata, oai_call *call, oai_response *res);
typedef int (*oai_progress_fn)(void *userdata, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total);
typedef int (*oai_job_event_fn)(void *userdata, const oai_value *event);
typedef int (*oai_event_fn)(void *userdata, const oai_event *ev);
typedef const char *(*oai_tool_fn)(void *userdata, const char *id, const char *name, const char *arguments);

const char *oai_status_name(oai_status status);
const char *oai_status_message(oai_status status);
const char *oai_version(void);
int oai_version_check(int major, int minor, int patch);
void oai_free(void *ptr);

oai_client *oai_client_new(void);
oai_status oai_client_status(const oai_client *client);
const char *oai_client_error_message(const oai_client *client);
void oai_client_free(oai_client *client);
oai_status oai_client_set_api_key(oai_client *client, const char *api_key);
oai_status oai_client_set_base_url(oai_client *client, const char *base_url);
const char *oai_client_base_url(const oai_client *client);
oai_status oai_client_set_organization(oai_client *client, const char *organization);
oai_status oai_client_set_project(oai_client *client, const char *project);
oai_status oai_client_set_header(oai_client *client, const char *name, const char *value);
oai_status oai_client_set_user_agent(oai_client *client, const char *user_agent);
oai_status oai_client_set_platform_headers(oai_client *client, int enabled);
oai_status oai_client_set_timeout_ms(oai_client *client, int64_t timeout_ms);
oai_status oai_client_set_connect_timeout_ms(oai_client *client, int64_t timeout_ms);
oai_status oai_client_set_idle_timeout_ms(oai_client *client, int64_t timeout_ms);
oai_status oai_client_set_first_byte_timeout_ms(oai_client *client, int64_t timeout_ms);
oai_status oai_client_set_max_retries(oai_client *client, int max_retries);
oai_status oai_client_set_retry_backoff_ms(oai_client *client, int64_t base_ms, int64_t max_ms);
oai_status oai_client_set_retry_after_cap_ms(oai_client *client, int64_t cap_ms);
oai_status oai_client_set_ca_file(oai_client *client, const char *path);
oai_status oai_client_set_proxy(oai_client *client, const char *proxy_url);
oai_status oai_client_warm_up(oai_client *client, int flags);
oai_status oai_client_set_max_response_bytes(oai_client *client, int64_t max_bytes);
oai_status oai_client_set_log_level(oai_client *client, int level);
oai_status oai_client_set_poll_budget_us(oai_client *client, int64_t budget_us);

oai_request *oai_request_new(const char *method, const char *path);
oai_status oai_request_status(const oai_request *req);
const char *oai_request_error_message(const oai_request *req);
void oai_request_free(oai_request *req);
oai_request *oai_request_clone(const oai_request *req);
const char *oai_request_method(const oai_request *req);
const char *oai_request_path(const oai_request *req);
oai_status oai_request_set_string_len(oai_request *req, const char *pointer, const char *value, size_t len);
oai_status oai_request_set_int(oai_request *req, const char *pointer, int64_t value);
oai_status oai_request_set_number(oai_request *req, const char *pointer, double value);
oai_status oai_request_set_bool(oai_request *req, const char *pointer, int value);
oai_status oai_request_set_null(oai_request *req, const char *pointer);
oai_status oai_request_set_json(oai_request *req, const char *pointer, const char *json);
oai_status oai_request_remove_field(oai_request *req, const char *pointer);
const char *oai_request_get_string(const oai_request *req, const char *pointer);
int64_t oai_request_get_int(const oai_request *req, const char *pointer);
double oai_request_get_number(const oai_request *req, const char *pointer);
int oai_request_get_bool(const oai_request *req, const char *pointer);
size_t oai_request_get_count(const oai_request *req, const char *pointer);
char *oai_request_body_dup(const oai_request *req);
oai_status oai_request_set_query(oai_request *req, const char *name, const char *value);
oai_status oai_request_set_header(oai_request *req, const char *name, const char *value);
oai_status oai_request_set_timeout_ms(oai_request *req, int64_t timeout_ms);
oai_status oai_request_set_max_retries(oai_request *req, int max_retries);
oai_status oai_request_set_idempotency_key(oai_request *req, const char *key);
oai_status oai_request_set_output_file(oai_request *req, const char *path);
oai_status oai_request_set_raw_response(oai_request *req, int enabled);
oai_status oai_request_add_form_field(oai_request *req, const char *name, const char *value);
oai_status oai_request_add_file_part(oai_request *req, const char *name, const char *path, const char *filename, const char *mime_type);
oai_status oai_request_set_stream(oai_request *req, int enabled);
oai_status oai_request_set_accumulate(oai_request *req, int enabled);

oai_request *oai_chat_completion_create_request_new(const char *model);
oai_status oai_chat_request_add_message(oai_request *req, const char *role, const char *content);
oai_status oai_chat_request_add_tool(oai_request *req, const char *name, const char *description, const char *parameters_json);
oai_status oai_chat_request_add_tool_result(oai_request *req, const char *tool_call_id, const char *content);
oai_request *oai_completion_create_request_new(const char *model, const char *prompt);
oai_request *oai_response_create_request_new(const char *model, const char *input);
oai_request *oai_embedding_create_request_new(const char *model, const char *input);
oai_request *oai_model_list_request_new(void);
oai_request *oai_model_retrieve_request_new(const char *model_id);

oai_response *oai_client_send(oai_client *client, const oai_request *req);
oai_call *oai_client_start(oai_client *client, const oai_request *req, oai_done_fn fn, void *userdata);
void oai_call_free(oai_call *call);
int oai_call_is_done(const oai_call *call);
oai_response *oai_call_take_response(oai_call *call);
oai_status oai_call_status(const oai_call *call);
oai_status oai_call_next_event(oai_call *call, const oai_event **event);
int oai_client_poll(oai_client *client, int timeout_ms);
void oai_call_cancel(oai_call *call);

void oai_response_free(oai_response *res);
oai_status oai_response_status(const oai_response *res);
int oai_response_http_status(const oai_response *res);
const char *oai_response_header(const oai_response *res, const char *name);
const char *oai_response_body(const oai_response *res);
size_t oai_response_body_len(const oai_response *res);
const char *oai_response_get_string(const oai_response *res, const char *pointer);
int64_t oai_response_get_int(const oai_response *res, const char *pointer);
double oai_response_get_number(const oai_response *res, const char *pointer);
int oai_response_get_bool(const oai_response *res, const char *pointer);
size_t oai_response_get_count(const oai_response *res, const char *pointer);
const char *oai_response_get_json_text(const oai_response *res, const char *pointer);
const char *oai_response_text(const oai_response *res);
size_t oai_response_embedding_count(const oai_response *res);
const double *oai_response_embedding(const oai_response *res, size_t index, size_t *dim);
const char *oai_response_error_message(const oai_response *res);
const char *oai_response_error_type(const oai_response *res);
const char *oai_response_error_code(const oai_response *res);
const char *oai_response_error_param(const oai_response *res);
const char *oai_response_request_id(const oai_response *res);
int oai_response_retry_count(const oai_response *res);
int64_t oai_response_retry_after_ms(const oai_response *res);

char *oai_value_json_dup(const oai_value *v);

int oai_event_type_of(const oai_event *ev);
const char *oai_event_text(const oai_event *ev);
size_t oai_event_text_len(const oai_event *ev);
int oai_event_choice_index(const oai_event *ev);
int oai_event_tool_index(const oai_event *ev);
const char *oai_event_tool_id(const oai_event *ev);
const char *oai_event_tool_name(const oai_event *ev);
const char *oai_event_name(const oai_event *ev);
const char *oai_event_data(const oai_event *ev);
size_t oai_event_data_len(const oai_event *ev);
const oai_value *oai_event_json(const oai_event *ev);
oai_status oai_event_error_status(const oai_event *ev);

oai_request *oai_file_create_request_new(const char *path, const char *purpose);
oai_request *oai_file_list_request_new(void);
oai_request *oai_file_retrieve_request_new(const char *file_id);
oai_request *oai_file_delete_request_new(const char *file_id);
oai_request *oai_file_retrieve_content_request_new(const char *file_id);
oai_response *oai_client_upload_large_file(oai_client *client, const char *path, const char *purpose, const char *mime_type, oai_progress_fn progress, void *userdata);

oai_training_report *oai_training_report_new(const char *path, int format, int64_t context_limit);
void oai_training_report_free(oai_training_report *report);
oai_status oai_training_report_status(const oai_training_report *report);
const char *oai_training_report_error_message(const oai_training_report *report);
int oai_training_report_is_valid(const oai_training_report *report);
size_t oai_training_report_problem_count(const oai_training_report *report);
int64_t oai_training_report_problem_line(const oai_training_report *report, size_t index);
const char *oai_training_report_problem_code(const oai_training_report *report, size_t index);
const char *oai_training_report_problem_message(const oai_training_report *report, size_t index);
int64_t oai_training_report_example_count(const oai_training_report *report);

oai_request *oai_fine_tuning_job_create_request_new(const char *model, const char *training_file_id);
oai_request *oai_fine_tuning_job_list_request_new(void);
oai_request *oai_fine_tuning_job_retrieve_request_new(const char *job_id);
oai_request *oai_fine_tuning_job_cancel_request_new(const char *job_id);
oai_request *oai_fine_tuning_job_list_events_request_new(const char *job_id);
oai_response *oai_client_follow_fine_tuning_job(oai_client *client, const char *job_id, int64_t poll_interval_ms, oai_job_event_fn fn, void *userdata);
oai_call *oai_client_start_follow_fine_tuning_job(oai_client *client, const char *job_id, int64_t poll_interval_ms, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

oai_request *oai_batch_create_request_new(const char *input_file_id, const char *endpoint, const char *completion_window);
oai_request *oai_batch_retrieve_request_new(const char *batch_id);
oai_request *oai_batch_cancel_request_new(const char *batch_id);
oai_response *oai_client_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms);
oai_call *oai_client_start_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

const oai_value *oai_event_get(const oai_event *ev, const char *pointer);
const char *oai_event_get_string(const oai_event *ev, const char *pointer);
int64_t oai_event_get_int(const oai_event *ev, const char *pointer);

oai_status oai_request_set_json_schema(oai_request *req, const char *name, const char *schema_json, int strict);
const oai_value *oai_response_parsed(const oai_response *res);
oai_status oai_response_parsed_status(const oai_response *res);
const char *oai_response_parsed_error_message(const oai_response *res);
const char *oai_response_refusal(const oai_response *res);
size_t oai_response_tool_call_count(const oai_response *res);
const char *oai_response_tool_call_id(const oai_response *res, size_t index);
const char *oai_response_tool_call_name(const oai_response *res, size_t index);
const char *oai_response_tool_call_arguments(const oai_response *res, size_t index);
oai_status oai_response_tool_call_arguments_status(const oai_response *res, size_t index);
oai_status oai_request_add_reply(oai_request *req, const oai_response *res);
oai_status oai_request_add_tool_output(oai_request *req, const char *call_id, const char *output);
oai_call *oai_client_start_send_with_tools(oai_client *client, const oai_request *req, int max_steps, oai_tool_fn tool_fn, void *tool_userdata, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);
oai_status oai_call_answer_tool(oai_call *call, const char *tool_call_id, const char *output);

oai_webhook *oai_webhook_new(const oai_client *client, const char *secret);
void oai_webhook_free(oai_webhook *wh);
oai_status oai_webhook_status(const oai_webhook *wh);
const char *oai_webhook_error_message(const oai_webhook *wh);
const char *oai_webhook_error_code(const oai_webhook *wh);
oai_status oai_webhook_set_tolerance_ms(oai_webhook *wh, int64_t tolerance_ms);
oai_status oai_webhook_set_now_ms(oai_webhook *wh, int64_t now_ms);
oai_status oai_webhook_verify(oai_webhook *wh, const char *const *header_names, const char *const *header_values, size_t header_count, const char *body, size_t body_len);
oai_status oai_webhook_unwrap(oai_webhook *wh, const char *const *header_names, const char *const *header_values, size_t header_count, const char *body, size_t body_len);
const oai_value *oai_webhook_json(const oai_webhook *wh);
const char *oai_webhook_type(const oai_webhook *wh);
const oai_value *oai_webhook_data(const oai_webhook *wh);
oai_status oai_client_set_webhook_secret(oai_client *client, const char *secret);

oai_status oai_client_set_query(oai_client *client, const char *name, const char *value);
const char *oai_client_query(const oai_client *client, const char *name);
oai_client *oai_client_clone(const oai_client *client);
oai_client *oai_client_azure_new(void);
int oai_client_is_azure(const oai_client *client);
oai_status oai_client_set_azure_endpoint(oai_client *client, const char *endpoint);
oai_status oai_client_set_azure_deployment(oai_client *client, const char *deployment);
oai_status oai_client_set_azure_api_version(oai_client *client, const char *api_version);
oai_status oai_client_set_azure_ad_token(oai_client *client, const char *token);

typedef struct oai_tokenizer oai_tokenizer;
oai_tokenizer *oai_tokenizer_new(const char *encoding, const char *path);
oai_tokenizer *oai_tokenizer_model_new(const char *model, const char *vocab_dir);
void oai_tokenizer_free(oai_tokenizer *tok);
oai_status oai_tokenizer_status(const oai_tokenizer *tok);
const char *oai_tokenizer_error_message(const oai_tokenizer *tok);
const char *oai_tokenizer_name(const oai_tokenizer *tok);
oai_status oai_tokenizer_set_special_tokens(oai_tokenizer *tok, int mode);
oai_status oai_tokenizer_count_text(oai_tokenizer *tok, const char *text, size_t len, int64_t *count);
oai_status oai_tokenizer_count_chat(oai_tokenizer *tok, const oai_request *req, int64_t *count);
oai_status oai_tokenizer_count_messages(oai_tokenizer *tok, const char *json, size_t len, int64_t *count);
]]

local lib = ffi.load(os.getenv("OAI_LIBRARY") or "oai")

local M = { _VERSION = "0.1.0", lib = lib }

local C_NULL = nil
local tonumber, type, setmetatable, rawget = tonumber, type, setmetatable, rawget
local ffi_string, ffi_gc = ffi.string, ffi.gc

-- The library must have every function declared above (0.1.0 and later).
if lib.oai_version_check(0, 1, 0) == 0 then
  error("oai: liboai " .. ffi_string(lib.oai_version()) .. " is older than 0.1.0", 0)
end

-- ---------------------------------------------------------------------------
-- Statuses and errors

--- oai.status.OK, oai.status.ERR_RATE_LIMIT, ...: the values of oai_status.
M.status = {
  OK = 0, ERR_INVALID_ARGUMENT = 1, ERR_OUT_OF_MEMORY = 2, ERR_IO = 3, ERR_CONNECTION = 4,
  ERR_TIMEOUT = 5, ERR_TLS = 6, ERR_PROTOCOL = 7, ERR_CANCELLED = 8, ERR_TOO_LARGE = 9,
  ERR_BAD_REQUEST = 10, ERR_AUTHENTICATION = 11, ERR_PERMISSION_DENIED = 12, ERR_NOT_FOUND = 13,
  ERR_CONFLICT = 14, ERR_UNPROCESSABLE = 15, ERR_RATE_LIMIT = 16, ERR_SERVER = 17, ERR_API = 18,
  ERR_TYPE = 19, ERR_INVALID_DATA = 20,
}

--- The constant's name of a status number, e.g. "OAI_ERR_RATE_LIMIT".
function M.status_name(st)
  return ffi_string(lib.oai_status_name(st))
end

--- The library's version at run time, e.g. "0.1.0".
function M.version()
  return ffi_string(lib.oai_version())
end

local function cstr(p)
  if p == C_NULL then return nil end
  return ffi_string(p)
end

-- The compact JSON text of an oai_value (borrowed), or nil.
local function value_json(v)
  if v == C_NULL then return nil end
  local dup = lib.oai_value_json_dup(v)
  if dup == C_NULL then return nil end
  local text = ffi_string(dup)
  lib.oai_free(dup)
  return text
end

-- Errors are tables with this metatable, raised with error(err).
local Error = {}
Error.__index = Error
Error.__tostring = function(e)
  local s = e.name or M.status_name(e.status)
  if e.http_status and e.http_status ~= 0 then s = s .. " (HTTP " .. e.http_status .. ")" end
  if e.message then s = s .. ": " .. e.message end
  if e.request_id then s = s .. " [request " .. e.request_id .. "]" end
  return s
end
M.Error = Error

--- true when v is an error raised by this module.
function M.is_error(v)
  return type(v) == "table" and getmetatable(v) == Error
end

local function new_error(status, message, fields)
  local e = {} -- filled field by field: see copy_event()
  e.status = status
  e.name = M.status_name(status)
  e.message = message or ffi_string(lib.oai_status_message(status))
  e.http_status = 0
  if fields then
    for k, v in pairs(fields) do e[k] = v end
  end
  return setmetatable(e, Error)
end
M.new_error = new_error

local function raise(status, message, fields)
  error(new_error(status, message, fields), 2)
end

-- Raises for a non-zero status returned by a setter.
local function check(st, what)
  if st ~= 0 then
    error(new_error(st, what .. ": " .. ffi_string(lib.oai_status_message(st))), 3)
  end
end

-- ---------------------------------------------------------------------------
-- A small JSON encoder, for values set into requests from Lua tables.
-- A table with t[1] ~= nil is an array, any other table an object; oai.null
-- is JSON null. (Reading JSON needs no encoder: responses are read by JSON
-- Pointer, see Response:get_string().)

M.null = setmetatable({}, { __tostring = function() return "oai.null" end })

local encode
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end
function encode(v)
  local t = type(v)
  if v == nil or v == M.null then return "null"
  elseif t == "boolean" then return v and "true" or "false"
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("oai: cannot encode " .. tostring(v) .. " as JSON", 0) end
    if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "string" then return encode_string(v)
  elseif t == "table" then
    local parts = {}
    if v[1] ~= nil then
      for i = 1, #v do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do parts[#parts + 1] = encode_string(tostring(k)) .. ":" .. encode(x) end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("oai: cannot encode a " .. t .. " as JSON", 0)
end
M.encode_json = encode

--- The JSON Pointer token of a key ("a/b" -> "a~1b").
local function pointer_token(k)
  return (tostring(k):gsub("~", "~0"):gsub("/", "~1"))
end

-- ---------------------------------------------------------------------------
-- Responses

local Response = {}
local response_props = {
  status = function(p) return tonumber(lib.oai_response_status(p)) end,
  status_name = function(p) return M.status_name(lib.oai_response_status(p)) end,
  ok = function(p) return lib.oai_response_status(p) == 0 end,
  http_status = function(p) return tonumber(lib.oai_response_http_status(p)) end,
  request_id = function(p) return cstr(lib.oai_response_request_id(p)) end,
  text = function(p) return cstr(lib.oai_response_text(p)) end,
  json = function(p) return cstr(lib.oai_response_get_json_text(p, "")) end,
  body = function(p) return ffi_string(lib.oai_response_body(p), lib.oai_response_body_len(p)) end,
  error_message = function(p) return cstr(lib.oai_response_error_message(p)) end,
  error_type = function(p) return cstr(lib.oai_response_error_type(p)) end,
  error_code = function(p) return cstr(lib.oai_response_error_code(p)) end,
  error_param = function(p) return cstr(lib.oai_response_error_param(p)) end,
  retry_count = function(p) return tonumber(lib.oai_response_retry_count(p)) end,
  retry_after_ms = function(p) return tonumber(lib.oai_response_retry_after_ms(p)) end,
  -- structured outputs: the parsed reply as compact JSON text (read it with
  -- oai.json(res.parsed)), or nil: parsed_status says why
  parsed = function(p) return value_json(lib.oai_response_parsed(p)) end,
  parsed_status = function(p) return tonumber(lib.oai_response_parsed_status(p)) end,
  parsed_error_message = function(p) return cstr(lib.oai_response_parsed_error_message(p)) end,
  refusal = function(p) return cstr(lib.oai_response_refusal(p)) end,
  tool_call_count = function(p) return tonumber(lib.oai_response_tool_call_count(p)) end,
}
local ResponseMT = {
  __index = function(self, k)
    local m = Response[k]
    if m then return m end
    local prop = response_props[k]
    if prop then
      local p = rawget(self, "ptr")
      if p == nil then error("oai: the response was freed", 2) end
      return prop(p)
    end
    return nil
  end,
  __tostring = function(self)
    return "oai.response(" .. M.status_name(self.status) .. ", HTTP " .. self.http_status .. ")"
  end,
}

local function wrap_response(p)
  if p == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "out of memory") end
  return setmetatable({ ptr = ffi_gc(p, lib.oai_response_free) }, ResponseMT)
end

--- The error a failed response carries, as an oai.Error (nil on success).
function Response:error()
  local p = self.ptr
  local st = tonumber(lib.oai_response_status(p))
  if st == 0 then return nil end
  return new_error(st, cstr(lib.oai_response_error_message(p)), {
    http_status = tonumber(lib.oai_response_http_status(p)),
    request_id = cstr(lib.oai_response_request_id(p)),
    type = cstr(lib.oai_response_error_type(p)),
    code = cstr(lib.oai_response_error_code(p)),
    param = cstr(lib.oai_response_error_param(p)),
    retry_count = tonumber(lib.oai_response_retry_count(p)),
    retry_after_ms = tonumber(lib.oai_response_retry_after_ms(p)),
    response = self,
  })
end

--- Raises the response's error, if it carries one; returns the response.
function Response:raise()
  local e = self:error()
  if e then error(e, 2) end
  return self
end

function Response:get_string(pointer) return cstr(lib.oai_response_get_string(self.ptr, pointer)) end
function Response:get_int(pointer) return tonumber(lib.oai_response_get_int(self.ptr, pointer)) end
function Response:get_number(pointer) return tonumber(lib.oai_response_get_number(self.ptr, pointer)) end
function Response:get_bool(pointer) return lib.oai_response_get_bool(self.ptr, pointer) ~= 0 end
function Response:get_count(pointer) return tonumber(lib.oai_response_get_count(self.ptr, pointer)) end
--- The compact JSON text of the value at a JSON Pointer, or nil.
function Response:get_json(pointer) return cstr(lib.oai_response_get_json_text(self.ptr, pointer or "")) end
function Response:header(name) return cstr(lib.oai_response_header(self.ptr, name)) end

--- The embedding at index i (0-based, as in the API's data[]) as a Lua
--- array of numbers, or nil.
function Response:embedding(i)
  local dim = ffi.new("size_t[1]")
  local v = lib.oai_response_embedding(self.ptr, i or 0, dim)
  if v == C_NULL then return nil end
  local out = {}
  for k = 0, tonumber(dim[0]) - 1 do out[k + 1] = v[k] end
  return out
end

--- The reply's tool calls (chat tool_calls, or a Responses result's
--- function calls) as an array of tables {id=, name=, arguments= (JSON
--- text), arguments_status= (0 when the arguments are valid JSON)}.
function Response:tool_calls()
  local p, out = self.ptr, {}
  for i = 0, tonumber(lib.oai_response_tool_call_count(p)) - 1 do
    local c = {}
    c.id = cstr(lib.oai_response_tool_call_id(p, i))
    c.name = cstr(lib.oai_response_tool_call_name(p, i))
    c.arguments = cstr(lib.oai_response_tool_call_arguments(p, i))
    c.arguments_status = tonumber(lib.oai_response_tool_call_arguments_status(p, i))
    out[i + 1] = c
  end
  return out
end

--- The parsed reply (structured outputs) as an oai.json document; raises
--- its error (ERR_PROTOCOL: not JSON; ERR_TYPE: no text, see res.refusal).
function Response:parse()
  local p = self.ptr
  local st = tonumber(lib.oai_response_parsed_status(p))
  if st ~= 0 then raise(st, cstr(lib.oai_response_parsed_error_message(p))) end
  return M.json(value_json(lib.oai_response_parsed(p)))
end

--- Frees the response now (the garbage collector does it otherwise).
function Response:free()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_response_free(ffi_gc(p, nil))
  end
end

-- ---------------------------------------------------------------------------
-- Requests

local Request = {}
Request.__index = Request

local function wrap_request(p)
  if p == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "out of memory") end
  return setmetatable({ ptr = ffi_gc(p, lib.oai_request_free) }, Request)
end

--- A request for any endpoint: oai.request("GET", "/models").
function M.request(method, path)
  return wrap_request(lib.oai_request_new(method, path))
end

--- The request's sticky status (0 unless its constructor failed) and message.
function Request:status()
  return tonumber(lib.oai_request_status(self.ptr)), cstr(lib.oai_request_error_message(self.ptr))
end
function Request:method() return cstr(lib.oai_request_method(self.ptr)) end
function Request:path() return cstr(lib.oai_request_path(self.ptr)) end

--- Sets the body's field at a JSON Pointer from a Lua value: a string, a
--- number (an integer when it has no fraction), a boolean, oai.null or a
--- table (encoded as JSON). Returns the request, for chaining.
function Request:set(pointer, value)
  local t, st = type(value)
  if value == nil or value == M.null then st = lib.oai_request_set_null(self.ptr, pointer)
  elseif t == "string" then st = lib.oai_request_set_string_len(self.ptr, pointer, value, #value)
  elseif t == "boolean" then st = lib.oai_request_set_bool(self.ptr, pointer, value and 1 or 0)
  elseif t == "number" then
    if value == math.floor(value) and math.abs(value) < 2^53 then
      st = lib.oai_request_set_int(self.ptr, pointer, value)
    else
      st = lib.oai_request_set_number(self.ptr, pointer, value)
    end
  elseif t == "table" then st = lib.oai_request_set_json(self.ptr, pointer, encode(value))
  else error("oai: cannot set a " .. t .. " in a request", 2) end
  check(st, "set " .. pointer)
  return self
end

--- Sets every key of a table as a top-level body field (see Request:set()).
function Request:set_fields(fields)
  if fields then
    for k, v in pairs(fields) do self:set("/" .. pointer_token(k), v) end
  end
  return self
end

--- Parses JSON text and sets it at a JSON Pointer.
function Request:set_json(pointer, json)
  check(lib.oai_request_set_json(self.ptr, pointer, json), "set_json " .. pointer)
  return self
end
function Request:remove(pointer)
  check(lib.oai_request_remove_field(self.ptr, pointer), "remove " .. pointer)
  return self
end
function Request:get_string(pointer) return cstr(lib.oai_request_get_string(self.ptr, pointer)) end
function Request:get_int(pointer) return tonumber(lib.oai_request_get_int(self.ptr, pointer)) end
function Request:get_count(pointer) return tonumber(lib.oai_request_get_count(self.ptr, pointer)) end
function Request:get_number(pointer) return tonumber(lib.oai_request_get_number(self.ptr, pointer)) end
function Request:get_bool(pointer) return lib.oai_request_get_bool(self.ptr, pointer) ~= 0 end

--- The JSON body as text, or nil.
function Request:body()
  local p = lib.oai_request_body_dup(self.ptr)
  if p == C_NULL then return nil end
  local s = ffi_string(p)
  lib.oai_free(p)
  return s
end

--- Appends a chat message; content may be a string, nil (null) or a table
--- (an array of content parts, encoded as JSON).
function Request:add_message(role, content)
  if type(content) == "table" then
    check(lib.oai_chat_request_add_message(self.ptr, role, nil), "add_message")
    local n = tonumber(lib.oai_request_get_count(self.ptr, "/messages"))
    check(lib.oai_request_set_json(self.ptr, "/messages/" .. (n - 1) .. "/content", encode(content)), "add_message")
  else
    check(lib.oai_chat_request_add_message(self.ptr, role, content), "add_message")
  end
  return self
end
function Request:add_tool(name, description, parameters)
  if type(parameters) == "table" then parameters = encode(parameters) end
  check(lib.oai_chat_request_add_tool(self.ptr, name, description, parameters), "add_tool")
  return self
end
--- Asks for structured output following a JSON Schema (a table, or JSON
--- text); strict unless strict == false.
function Request:set_json_schema(name, schema, strict)
  if type(schema) == "table" then schema = encode(schema) end
  check(lib.oai_request_set_json_schema(self.ptr, name, schema, strict == false and 0 or 1), "set_json_schema")
  return self
end
--- Appends a reply (a response) to the conversation: the assistant's
--- message and its tool calls, or a Responses result's output items.
function Request:add_reply(res)
  check(lib.oai_request_add_reply(self.ptr, res.ptr), "add_reply")
  return self
end
--- Appends a tool call's result (a string; a table is sent as JSON).
function Request:add_tool_output(call_id, output)
  if type(output) == "table" then output = encode(output) end
  check(lib.oai_request_add_tool_output(self.ptr, call_id, output), "add_tool_output")
  return self
end
function Request:add_tool_result(tool_call_id, content)
  check(lib.oai_chat_request_add_tool_result(self.ptr, tool_call_id, content), "add_tool_result")
  return self
end
function Request:set_query(name, value)
  check(lib.oai_request_set_query(self.ptr, name, value and tostring(value) or nil), "set_query")
  return self
end
function Request:set_header(name, value)
  check(lib.oai_request_set_header(self.ptr, name, value), "set_header")
  return self
end
function Request:set_timeout_ms(ms) check(lib.oai_request_set_timeout_ms(self.ptr, ms), "set_timeout_ms"); return self end
function Request:set_max_retries(n) check(lib.oai_request_set_max_retries(self.ptr, n), "set_max_retries"); return self end
function Request:set_idempotency_key(k) check(lib.oai_request_set_idempotency_key(self.ptr, k), "set_idempotency_key"); return self end
function Request:set_output_file(path) check(lib.oai_request_set_output_file(self.ptr, path), "set_output_file"); return self end
function Request:set_raw_response(on) check(lib.oai_request_set_raw_response(self.ptr, on and 1 or 0), "set_raw_response"); return self end
function Request:add_form_field(name, value) check(lib.oai_request_add_form_field(self.ptr, name, value), "add_form_field"); return self end
function Request:add_file_part(name, path, filename, mime_type)
  check(lib.oai_request_add_file_part(self.ptr, name, path, filename, mime_type), "add_file_part")
  return self
end

--- Makes the request stream (true) through the pull API: its events queue
--- in the call (Call:next_event()); no callback is involved.
function Request:set_stream(on)
  check(lib.oai_request_set_stream(self.ptr, (on == nil or on) and 1 or 0), "set_stream")
  return self
end
function Request:set_accumulate(on)
  check(lib.oai_request_set_accumulate(self.ptr, on and 1 or 0), "set_accumulate")
  return self
end

--- A deep copy of the request.
function Request:clone()
  return wrap_request(lib.oai_request_clone(self.ptr))
end

--- Frees the request now (the garbage collector does it otherwise). Calls
--- started from it keep their own copy.
function Request:free()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_request_free(ffi_gc(p, nil))
  end
end

-- Endpoint helpers. `opts` is a table of extra top-level body fields
-- (Request:set_fields()), with `stream = true` making the request stream.
local function finish_request(req, opts)
  if opts then
    local stream = opts.stream
    for k, v in pairs(opts) do
      if k ~= "stream" then req:set("/" .. pointer_token(k), v) end
    end
    if stream then req:set_stream(true) end
  end
  return req
end

--- POST /chat/completions: messages is a list of {role=, content=} (or
--- {"role", "content"} pairs).
function M.chat_request(model, messages, opts)
  local req = wrap_request(lib.oai_chat_completion_create_request_new(model))
  for _, m in ipairs(messages or {}) do
    req:add_message(m.role or m[1], m.content or m[2])
  end
  return finish_request(req, opts)
end
--- POST /completions (legacy).
function M.completion_request(model, prompt, opts)
  return finish_request(wrap_request(lib.oai_completion_create_request_new(model, prompt)), opts)
end
--- POST /responses (the Responses API) with a string input.
function M.response_request(model, input, opts)
  return finish_request(wrap_request(lib.oai_response_create_request_new(model, input)), opts)
end
--- POST /embeddings.
function M.embedding_request(model, input, opts)
  local req = wrap_request(lib.oai_embedding_create_request_new(model, type(input) == "string" and input or ""))
  if type(input) == "table" then req:set("/input", input) end
  return finish_request(req, opts)
end
function M.model_list_request() return wrap_request(lib.oai_model_list_request_new()) end
function M.model_retrieve_request(id) return wrap_request(lib.oai_model_retrieve_request_new(id)) end
--- POST /files (multipart, streamed from disk).
function M.file_create_request(path, purpose) return wrap_request(lib.oai_file_create_request_new(path, purpose)) end
function M.file_list_request() return wrap_request(lib.oai_file_list_request_new()) end
function M.file_retrieve_request(id) return wrap_request(lib.oai_file_retrieve_request_new(id)) end
function M.file_delete_request(id) return wrap_request(lib.oai_file_delete_request_new(id)) end
function M.file_retrieve_content_request(id) return wrap_request(lib.oai_file_retrieve_content_request_new(id)) end
function M.fine_tuning_job_create_request(model, training_file_id, opts)
  return finish_request(wrap_request(lib.oai_fine_tuning_job_create_request_new(model, training_file_id)), opts)
end
function M.fine_tuning_job_list_request() return wrap_request(lib.oai_fine_tuning_job_list_request_new()) end
function M.fine_tuning_job_retrieve_request(id) return wrap_request(lib.oai_fine_tuning_job_retrieve_request_new(id)) end
function M.fine_tuning_job_cancel_request(id) return wrap_request(lib.oai_fine_tuning_job_cancel_request_new(id)) end
function M.fine_tuning_job_list_events_request(id) return wrap_request(lib.oai_fine_tuning_job_list_events_request_new(id)) end
--- POST /batches: endpoint e.g. "/v1/chat/completions"; window nil for "24h".
function M.batch_create_request(input_file_id, endpoint, completion_window)
  return wrap_request(lib.oai_batch_create_request_new(input_file_id, endpoint, completion_window))
end
function M.batch_retrieve_request(id) return wrap_request(lib.oai_batch_retrieve_request_new(id)) end
function M.batch_cancel_request(id) return wrap_request(lib.oai_batch_cancel_request_new(id)) end

-- ---------------------------------------------------------------------------
-- Streamed events: copied out of the C event (valid only until the next call
-- on its oai_call) into plain Lua tables.

local EVENT_TYPES = { "text", "refusal", "reasoning", "tool_call", "usage", "done", "error", "other",
                      "item", "progress" }
M.event_types = EVENT_TYPES

-- The table is made empty and filled field by field, never by a
-- constructor with fields that the table then grows from: Debian 12's
-- LuaJIT (2.1.0-beta3, a 2022 snapshot) miscompiled that in the tests'
-- frame loop (an assertion-enabled build stops with "fwd_ahload:
-- mismatched type in constant table"; the release build makes a trace with
-- a bad constant and crashes in the GC). Tables that grow are built this
-- way throughout this file.
local function copy_event(ev)
  local code = lib.oai_event_type_of(ev)
  local e = {}
  e.type = EVENT_TYPES[code] or "unknown"
  e.type_code = code
  e.choice_index = lib.oai_event_choice_index(ev)
  local p = lib.oai_event_text(ev)
  if p ~= C_NULL then e.text = ffi_string(p, lib.oai_event_text_len(ev)) end
  p = lib.oai_event_data(ev)
  if p ~= C_NULL then
    e.data = ffi_string(p, lib.oai_event_data_len(ev))
  else
    local v = lib.oai_event_json(ev)
    if v ~= C_NULL then
      local dup = lib.oai_value_json_dup(v)
      if dup ~= C_NULL then
        e.data = ffi_string(dup)
        lib.oai_free(dup)
      end
    end
  end
  p = lib.oai_event_name(ev)
  if p ~= C_NULL then e.name = ffi_string(p) end
  if code == 4 then
    p = lib.oai_event_tool_id(ev)
    if p == C_NULL and lib.oai_event_data(ev) == C_NULL then
      -- A tool loop's call to answer (its JSON: step, index, id, name,
      -- arguments): the same fields as a streamed fragment's, whole.
      e.tool_index = tonumber(lib.oai_event_get_int(ev, "/index"))
      e.tool_id = cstr(lib.oai_event_get_string(ev, "/id"))
      e.tool_name = cstr(lib.oai_event_get_string(ev, "/name"))
      e.text = cstr(lib.oai_event_get_string(ev, "/arguments"))
      e.step = tonumber(lib.oai_event_get_int(ev, "/step"))
    else
      e.tool_index = lib.oai_event_tool_index(ev)
      e.tool_id = cstr(p)
      e.tool_name = cstr(lib.oai_event_tool_name(ev))
    end
  elseif code == 7 then
    e.error_status = tonumber(lib.oai_event_error_status(ev))
  end
  return e
end

-- ---------------------------------------------------------------------------
-- Calls (asynchronous, pulled)

local Call = {}
Call.__index = Call

local event_box = ffi.new("const oai_event *[1]")

--- true once the call has ended (its response is final).
function Call:done()
  local p = self.ptr
  if p == nil then return true end
  return lib.oai_call_is_done(p) ~= 0
end

--- The call's status: 0 while it runs or after success, else the error.
function Call:status()
  local p = self.ptr
  if p == nil then return M.status.ERR_INVALID_ARGUMENT end
  return tonumber(lib.oai_call_status(p))
end

--- The next queued event as a table ({type=, text=, data=, ...}), or nil
--- when none is waiting now. Never blocks, never runs a callback.
function Call:next_event()
  local p = self.ptr
  if p == nil then return nil end
  lib.oai_call_next_event(p, event_box)
  local ev = event_box[0]
  if ev == C_NULL then return nil end
  return copy_event(ev)
end

--- An iterator over the events queued now (non-blocking):
---   for ev in call:events() do ... end
function Call:events()
  return function() return self:next_event() end
end

--- The response once the call has ended (taken from the call the first time,
--- then kept in the Lua object), whatever its status; nil while it runs.
function Call:response()
  local res = rawget(self, "res")
  if res then return res end
  local p = self.ptr
  if p == nil or lib.oai_call_is_done(p) == 0 then return nil end
  local r = lib.oai_call_take_response(p)
  if r == C_NULL then
    raise(M.status.ERR_OUT_OF_MEMORY, "the call's response is missing (out of memory)")
  end
  res = wrap_response(r)
  self.res = res
  return res
end

--- The response of an ended call; raises its error (an oai.Error) if it
--- failed, and an ERR_INVALID_ARGUMENT error while it still runs.
function Call:result()
  local res = self:response()
  if not res then raise(M.status.ERR_INVALID_ARGUMENT, "the call has not ended") end
  local e = res:error()
  if e then error(e, 2) end
  return res
end

--- Cancels a running call: it ends with ERR_CANCELLED at the next poll.
function Call:cancel()
  local p = self.ptr
  if p ~= nil then lib.oai_call_cancel(p) end
end

--- Waits (polling its client) until the call ends; returns Call:result().
--- timeout_ms bounds each wait of the client (default 100).
function Call:wait(timeout_ms)
  local client = self.client
  while not self:done() do
    client:poll(timeout_ms or 100)
  end
  return self:result()
end

--- A blocking iterator over the call's events: polls the client until the
--- next event is there, ends after the last one, and raises the call's
--- error (an oai.Error) if it failed:
---   for ev in call:iter() do io.write(ev.text or "") end
function Call:iter()
  return function()
    while true do
      local ev = self:next_event()
      if ev then return ev end
      if self:done() then
        ev = self:next_event()
        if ev then return ev end
        self:result()
        return nil
      end
      self.client:poll(100)
    end
  end
end

--- Frees the call now (the garbage collector does it otherwise). A running
--- call is cancelled, silently. Safe after its client was freed.
function Call:free()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_call_free(ffi_gc(p, nil))
  end
end

-- ---------------------------------------------------------------------------
-- Clients

local Client = {}
Client.__index = Client

local function client_ptr(self)
  local p = self.ptr
  if p == nil then error(new_error(M.status.ERR_INVALID_ARGUMENT, "the client was closed"), 3) end
  return p
end

local options = {
  base_url = function(p, v) return lib.oai_client_set_base_url(p, v) end,
  api_key = function(p, v) return lib.oai_client_set_api_key(p, v) end,
  organization = function(p, v) return lib.oai_client_set_organization(p, v) end,
  project = function(p, v) return lib.oai_client_set_project(p, v) end,
  user_agent = function(p, v) return lib.oai_client_set_user_agent(p, v) end,
  platform_headers = function(p, v) return lib.oai_client_set_platform_headers(p, v and 1 or 0) end,
  timeout_ms = function(p, v) return lib.oai_client_set_timeout_ms(p, v) end,
  connect_timeout_ms = function(p, v) return lib.oai_client_set_connect_timeout_ms(p, v) end,
  idle_timeout_ms = function(p, v) return lib.oai_client_set_idle_timeout_ms(p, v) end,
  first_byte_timeout_ms = function(p, v) return lib.oai_client_set_first_byte_timeout_ms(p, v) end,
  max_retries = function(p, v) return lib.oai_client_set_max_retries(p, v) end,
  retry_backoff_ms = function(p, v) return lib.oai_client_set_retry_backoff_ms(p, v[1], v[2]) end,
  retry_after_cap_ms = function(p, v) return lib.oai_client_set_retry_after_cap_ms(p, v) end,
  ca_file = function(p, v) return lib.oai_client_set_ca_file(p, v) end,
  proxy = function(p, v) return lib.oai_client_set_proxy(p, v) end,
  max_response_bytes = function(p, v) return lib.oai_client_set_max_response_bytes(p, v) end,
  log_level = function(p, v)
    local levels = { off = 0, error = 1, warn = 2, info = 3, debug = 4 }
    return lib.oai_client_set_log_level(p, levels[v] or v)
  end,
  poll_budget_us = function(p, v) return lib.oai_client_set_poll_budget_us(p, v) end,
  -- Query parameters sent with every request ({name = value}; false removes one).
  query = function(p, v)
    for name, value in pairs(v) do
      local st = lib.oai_client_set_query(p, name, value ~= false and tostring(value) or nil)
      if st ~= 0 then return st end
    end
    return 0
  end,
  -- Azure OpenAI (an oai.azure_client; refused by a plain client).
  azure_endpoint = function(p, v) return lib.oai_client_set_azure_endpoint(p, v) end,
  azure_deployment = function(p, v) return lib.oai_client_set_azure_deployment(p, v) end,
  api_version = function(p, v) return lib.oai_client_set_azure_api_version(p, v) end,
  azure_ad_token = function(p, v) return lib.oai_client_set_azure_ad_token(p, v) end,
  headers = function(p, v)
    for name, value in pairs(v) do
      local st = lib.oai_client_set_header(p, name, value ~= false and tostring(value) or nil)
      if st ~= 0 then return st end
    end
    return 0
  end,
}

--- A client. opts (all optional): base_url, api_key, organization, project,
--- headers ({name = value}), user_agent, platform_headers, timeout_ms,
--- connect_timeout_ms, idle_timeout_ms, first_byte_timeout_ms, max_retries,
--- retry_backoff_ms ({base, max}), retry_after_cap_ms, ca_file, proxy,
--- max_response_bytes, log_level ("off".."debug"), poll_budget_us. What is
--- not given comes from the environment (OPENAI_API_KEY, OPENAI_BASE_URL, ...).
--- Raises an oai.Error for a refused option or configuration.
local function make_client(p, opts)
  if p == C_NULL then error(new_error(M.status.ERR_OUT_OF_MEMORY, "cannot create a client"), 3) end
  local self = setmetatable({ ptr = ffi_gc(p, lib.oai_client_free) }, Client)
  for k, v in pairs(opts or {}) do
    local set = options[k]
    if not set then
      self:close()
      error(new_error(M.status.ERR_INVALID_ARGUMENT, "unknown client option '" .. tostring(k) .. "'"), 2)
    end
    local st = set(p, v)
    if st ~= 0 then
      self:close()
      error(new_error(st, "client option " .. k .. ": " .. ffi_string(lib.oai_status_message(st))), 3)
    end
  end
  local st = lib.oai_client_status(p)
  if st ~= 0 then
    local msg = cstr(lib.oai_client_error_message(p))
    self:close()
    error(new_error(st, msg), 3)
  end
  return self
end

function M.client(opts)
  return make_client(lib.oai_client_new(), opts)
end

--- An Azure OpenAI client (oai_client_azure_new(), docs/azure.md), from
--- AZURE_OPENAI_API_KEY, AZURE_OPENAI_AD_TOKEN, AZURE_OPENAI_ENDPOINT and
--- OPENAI_API_VERSION, then given opts: azure_endpoint, api_version,
--- azure_deployment, azure_ad_token, api_key (sent as the api-key header)
--- and every option of oai.client. What is missing fails each call with
--- ERR_INVALID_ARGUMENT naming the variable and the setter. No token
--- callback: see README.md.
function M.azure_client(opts)
  return make_client(lib.oai_client_azure_new(), opts)
end

--- true for an Azure client (or a clone of one).
function Client:is_azure() return lib.oai_client_is_azure(client_ptr(self)) ~= 0 end

--- Sets (value nil: removes) a query parameter sent with every request; a
--- request's own parameter of that name wins.
function Client:set_query(name, value)
  check(lib.oai_client_set_query(client_ptr(self), name, value), "set_query")
  return self
end

--- The client's default query parameter name, or nil.
function Client:query(name) return cstr(lib.oai_client_query(client_ptr(self), name)) end

--- A copy of the client (oai_client_clone()): every option, not its calls.
--- Its own object, freed by close() or the collector, in any order with
--- the original.
function Client:clone()
  local p = lib.oai_client_clone(client_ptr(self))
  if p == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "cannot clone the client") end
  return setmetatable({ ptr = ffi_gc(p, lib.oai_client_free) }, Client)
end

--- Sets one option after creation (the names of M.client's options).
function Client:set(name, value)
  local set = options[name]
  if not set then raise(M.status.ERR_INVALID_ARGUMENT, "unknown client option '" .. tostring(name) .. "'") end
  check(set(client_ptr(self), value), "client option " .. name)
  return self
end

function Client:base_url() return cstr(lib.oai_client_base_url(client_ptr(self))) end

--- Bounds the work of one poll (microseconds; 0: no bound).
function Client:set_poll_budget_us(us)
  check(lib.oai_client_set_poll_budget_us(client_ptr(self), us), "set_poll_budget_us")
  return self
end

--- Does the first HTTPS connection's one-time work now (see oai.h):
--- flags 0 or oai.WARM_UP_CA (1), oai.WARM_UP_CONNECT (2).
M.WARM_UP_CA, M.WARM_UP_CONNECT = 1, 2
function Client:warm_up(flags)
  check(lib.oai_client_warm_up(client_ptr(self), flags or 0), "warm_up")
  return self
end

--- Sends a request and waits; returns the response, or raises its error.
function Client:send(req)
  return wrap_response(lib.oai_client_send(client_ptr(self), req.ptr)):raise()
end

--- Sends a request and waits; returns the response whatever its status.
function Client:try_send(req)
  return wrap_response(lib.oai_client_send(client_ptr(self), req.ptr))
end

--- Starts a request without waiting and returns its call (oai.Call). It
--- progresses inside client:poll(); the request may be changed or freed at once.
-- Wraps a started oai_call. The call keeps its client alive (the client
-- outlives the call unless closed explicitly); the C call stays valid
-- either way.
local function wrap_call(client, p)
  if p == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "cannot start the call") end
  local call = {} -- filled field by field: see copy_event()
  call.ptr = ffi_gc(p, lib.oai_call_free)
  call.client = client
  call.res = false
  return setmetatable(call, Call)
end

function Client:start(req)
  local p = lib.oai_client_start(client_ptr(self), req.ptr, nil, nil)
  if p == C_NULL then
    local st = lib.oai_request_status(req.ptr)
    raise(st ~= 0 and st or M.status.ERR_OUT_OF_MEMORY, cstr(lib.oai_request_error_message(req.ptr)) or "cannot start the call")
  end
  return wrap_call(self, p)
end

--- Advances every running call: does the I/O that is ready, waiting at most
--- timeout_ms (0: not at all; negative: until something happens). Returns the
--- number of calls still running. Raises on a transport failure.
function Client:poll(timeout_ms)
  local n = lib.oai_client_poll(client_ptr(self), timeout_ms or 0)
  if n < 0 then raise(-n, "oai_client_poll failed") end
  return n
end

--- Chat in one call: client:chat(model, messages, opts) -> response (raises).
function Client:chat(model, messages, opts)
  return self:send(M.chat_request(model, messages, opts))
end

--- Streams a request (made to stream here): returns a blocking iterator over
--- its events, and the call:
---   for ev in client:stream(oai.chat_request(m, msgs)) do ... end
--- The iterator raises the call's error at the end if it failed.
function Client:stream(req)
  req = req:clone():set_stream(true)
  local call = self:start(req)
  req:free()
  return call:iter(), call
end

--- Uploads a file (POST /files, streamed from disk); returns the response
--- (its "/id" is the file id). Raises on failure.
function Client:upload_file(path, purpose)
  return self:send(M.file_create_request(path, purpose))
end

--- Uploads a large file through the Uploads API in parts, blocking; returns
--- the completed Upload (its "/file/id" is the file id). Raises on failure.
function Client:upload_large_file(path, purpose, mime_type)
  return wrap_response(lib.oai_client_upload_large_file(client_ptr(self), path, purpose, mime_type, nil, nil)):raise()
end

--- Starts a fine-tuning job; returns the job response (raises on failure).
function Client:create_fine_tuning_job(model, training_file_id, opts)
  return self:send(M.fine_tuning_job_create_request(model, training_file_id, opts))
end

--- Follows a fine-tuning job until it succeeds, fails or is cancelled,
--- blocking (oai_client_follow_fine_tuning_job() without an event callback):
--- returns the last job response (its "/status", "/fine_tuned_model"). To
--- see the job's events as they come, use start_follow_fine_tuning_job().
--- Raises on failure.
function Client:follow_fine_tuning_job(job_id, poll_interval_ms)
  return wrap_response(lib.oai_client_follow_fine_tuning_job(client_ptr(self), job_id, poll_interval_ms or 1000, nil, nil)):raise()
end

--- Follows a fine-tuning job without blocking and without callbacks
--- (oai_client_start_follow_fine_tuning_job()): returns a Call whose events
--- are the job's events, each once, oldest first ({type = "item", data =
--- the event's JSON text}), and whose result is the last job retrieval.
--- The interval between rounds is a timer of the client's engine: drive the
--- call with client:poll(0) from a frame loop, or call:wait().
function Client:start_follow_fine_tuning_job(job_id, poll_interval_ms)
  return wrap_call(self, lib.oai_client_start_follow_fine_tuning_job(client_ptr(self), job_id,
    poll_interval_ms or 1000, nil, nil, nil, nil))
end

--- Waits for a batch to end (completed, failed, expired or cancelled),
--- blocking; returns the batch (its "/output_file_id"). Raises on failure.
function Client:wait_for_batch(batch_id, poll_interval_ms)
  return wrap_response(lib.oai_client_wait_for_batch(client_ptr(self), batch_id, poll_interval_ms or 1000)):raise()
end

--- Waits for a batch without blocking: a Call whose events are the batch
--- object whenever its status changes ({type = "item", data = JSON text}),
--- and whose result is the batch as it ended.
function Client:start_wait_for_batch(batch_id, poll_interval_ms)
  return wrap_call(self, lib.oai_client_start_wait_for_batch(client_ptr(self), batch_id,
    poll_interval_ms or 1000, nil, nil, nil, nil))
end

-- ---------------------------------------------------------------------------
-- The tool loop, pulled (oai_client_start_send_with_tools() with no tool
-- function): each tool call is a "tool_call" event (tool_id, tool_name,
-- text = the arguments, tool_index, step), answered with call:answer(); no
-- callback, so it runs from a JIT-compiled frame loop like any call.

local ToolLoop = setmetatable({}, { __index = Call })
ToolLoop.__index = ToolLoop
M.ToolLoop = ToolLoop

--- Like Call:next_event(); the loop's last event ("done") also sets
--- call.conversation (the request body as the loop last sent it, JSON text)
--- and call.steps.
function ToolLoop:next_event()
  local p = self.ptr
  if p == nil then return nil end
  lib.oai_call_next_event(p, event_box)
  local ev = event_box[0]
  if ev == C_NULL then return nil end
  local e = copy_event(ev)
  if e.type_code == 6 then
    self.conversation = value_json(lib.oai_event_get(ev, "/request"))
    self.steps = tonumber(lib.oai_event_get_int(ev, "/steps"))
  end
  return e
end

--- Answers a tool call: id is the event's tool_id (or the event itself);
--- output a string, or a table sent as JSON. The step's last answer sends
--- the next request. Raises ERR_NOT_FOUND (no such call in the step),
--- ERR_CONFLICT (answered already), ERR_INVALID_ARGUMENT (the loop ended).
function ToolLoop:answer(id, output)
  if type(id) == "table" then id = id.tool_id end
  if type(output) == "table" then output = encode(output) end
  local p = self.ptr
  if p == nil then raise(M.status.ERR_INVALID_ARGUMENT, "the call was freed") end
  local st = lib.oai_call_answer_tool(p, id, output)
  if st ~= 0 then
    error(new_error(st, "answer " .. tostring(id) .. ": " .. ffi_string(lib.oai_status_message(st))), 2)
  end
end

--- Starts the tool loop on req (chat or Responses, offering tools) without
--- waiting: a call (oai.ToolLoop) whose "tool_call" events you answer with
--- call:answer(ev.tool_id, output), polling the client meanwhile. Its
--- result is the model's final reply (ERR_TOO_LARGE past max_steps, 0 or
--- nil: 10).
function Client:start_send_with_tools(req, max_steps)
  local call = wrap_call(self, lib.oai_client_start_send_with_tools(client_ptr(self), req.ptr, max_steps or 0,
    nil, nil, nil, nil, nil, nil))
  return setmetatable(call, ToolLoop)
end

--- The tool loop, blocking: fn(name, arguments, id) answers each tool call
--- (a string, or a table sent as JSON; nil stops the loop, ERR_CANCELLED),
--- called from Lua between polls, never from C. Returns the final response
--- (raises its error) and the conversation as last sent (JSON text). An
--- error raised by fn cancels the loop and propagates.
function Client:send_with_tools(req, fn, max_steps)
  local call = self:start_send_with_tools(req, max_steps)
  repeat
    local finished = call:done()
    local ev = call:next_event()
    while ev do
      if ev.type_code == 4 then
        local ok, out = pcall(fn, ev.tool_name, ev.text, ev.tool_id)
        if not ok then
          call:free()
          error(out, 0)
        end
        if out == nil then call:cancel() else call:answer(ev.tool_id, out) end
      end
      ev = call:next_event()
    end
    if not finished then self:poll(100) end
  until finished
  local res, conversation = call:response(), call.conversation
  call:free()
  return res:raise(), conversation
end

--- Sets the secret oai.webhook() takes when given none (nil clears it).
function Client:set_webhook_secret(secret)
  check(lib.oai_client_set_webhook_secret(client_ptr(self), secret), "set_webhook_secret")
  return self
end

--- Frees the client now (the garbage collector does it otherwise). Its
--- running calls end, cancelled; their Lua objects stay valid.
function Client:close()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_client_free(ffi_gc(p, nil))
  end
end

--- true once the client was closed.
function Client:closed()
  return rawget(self, "ptr") == nil
end

-- ---------------------------------------------------------------------------
-- Reading JSON text (an event's data, a body) by JSON Pointer, parsed by
-- liboai itself: the document is the body of a scratch request.

local Json = {}
Json.__index = Json

--- A read-only JSON document: oai.json(text):get_string("/message").
--- Raises ERR_INVALID_ARGUMENT when the text does not parse.
function M.json(text)
  local req = wrap_request(lib.oai_request_new("POST", "/json"))
  check(lib.oai_request_set_json(req.ptr, "", text), "oai.json")
  return setmetatable({ req = req }, Json)
end
function Json:get_string(pointer) return cstr(lib.oai_request_get_string(self.req.ptr, pointer)) end
function Json:get_int(pointer) return tonumber(lib.oai_request_get_int(self.req.ptr, pointer)) end
function Json:get_number(pointer) return tonumber(lib.oai_request_get_number(self.req.ptr, pointer)) end
function Json:get_bool(pointer) return lib.oai_request_get_bool(self.req.ptr, pointer) ~= 0 end
function Json:get_count(pointer) return tonumber(lib.oai_request_get_count(self.req.ptr, pointer)) end

-- ---------------------------------------------------------------------------
-- Training data validation (local)

M.TRAINING_CHAT, M.TRAINING_PREFERENCE, M.TRAINING_COMPLETION = 1, 2, 3

--- Validates a JSONL training file locally; returns a table
--- {valid=, status=, message=, examples=, problems={{line=, code=, message=}}}.
function M.validate_training_file(path, format, context_limit)
  local r = lib.oai_training_report_new(path, format or M.TRAINING_CHAT, context_limit or 0)
  if r == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "out of memory") end
  r = ffi_gc(r, lib.oai_training_report_free)
  local out = {
    valid = lib.oai_training_report_is_valid(r) ~= 0,
    status = tonumber(lib.oai_training_report_status(r)),
    message = cstr(lib.oai_training_report_error_message(r)),
    examples = tonumber(lib.oai_training_report_example_count(r)),
    problems = {},
  }
  for i = 0, tonumber(lib.oai_training_report_problem_count(r)) - 1 do
    out.problems[i + 1] = {
      line = tonumber(lib.oai_training_report_problem_line(r, i)),
      code = cstr(lib.oai_training_report_problem_code(r, i)),
      message = cstr(lib.oai_training_report_problem_message(r, i)),
    }
  end
  lib.oai_training_report_free(ffi_gc(r, nil))
  return out
end

-- ---------------------------------------------------------------------------
-- Webhooks (local): verifying and unwrapping deliveries

local Webhook = {}
Webhook.__index = Webhook

local function webhook_error(p, st)
  local e = new_error(st, cstr(lib.oai_webhook_error_message(p)))
  e.code = cstr(lib.oai_webhook_error_code(p))
  return e
end

--- A webhook verifier: secret is "whsec_..." or any other string (raw
--- bytes); nil takes opts.client's secret (client:set_webhook_secret(), or
--- OPENAI_WEBHOOK_SECRET), or the environment's. opts (optional): client,
--- tolerance_ms (default 300000), now_ms (a fixed "now", Unix ms). Raises
--- an oai.Error with code "missing_secret" or "invalid_secret" when the
--- secret is unusable.
function M.webhook(secret, opts)
  opts = opts or {}
  local client = opts.client and client_ptr(opts.client) or nil
  local p = lib.oai_webhook_new(client, secret)
  if p == C_NULL then raise(M.status.ERR_OUT_OF_MEMORY, "out of memory") end
  p = ffi_gc(p, lib.oai_webhook_free)
  local st = tonumber(lib.oai_webhook_status(p))
  if st ~= 0 then error(webhook_error(p, st), 2) end
  local self = setmetatable({ ptr = p }, Webhook)
  if opts.tolerance_ms then self:set_tolerance_ms(opts.tolerance_ms) end
  if opts.now_ms then self:set_now_ms(opts.now_ms) end
  return self
end

function Webhook:set_tolerance_ms(ms)
  local st = tonumber(lib.oai_webhook_set_tolerance_ms(self.ptr, ms))
  if st ~= 0 then error(webhook_error(self.ptr, st), 2) end
  return self
end

--- Fixes "now" (Unix ms); negative: the system clock again.
function Webhook:set_now_ms(ms)
  local st = tonumber(lib.oai_webhook_set_now_ms(self.ptr, ms))
  if st ~= 0 then error(webhook_error(self.ptr, st), 2) end
  return self
end

-- Runs verify or unwrap over headers ({name = value} or {{name, value}, ...})
-- and the raw body; raises an oai.Error with .code on failure.
local function webhook_run(self, fn, headers, body)
  local names, values, n = {}, {}, 0
  for k, v in pairs(headers) do
    n = n + 1
    if type(v) == "table" then names[n], values[n] = v[1], v[2] else names[n], values[n] = k, v end
  end
  local cn, cv = ffi.new("const char *[?]", n + 1), ffi.new("const char *[?]", n + 1)
  for i = 1, n do cn[i - 1], cv[i - 1] = tostring(names[i]), tostring(values[i]) end
  body = body or ""
  local st = tonumber(fn(self.ptr, cn, cv, n, body, #body))
  if st ~= 0 then error(webhook_error(self.ptr, st), 3) end
end

--- Verifies a delivery's signature and timestamp; raises an oai.Error
--- (status ERR_INVALID_DATA, code "missing_header", "invalid_timestamp",
--- "timestamp_too_old", "timestamp_too_new" or "signature_mismatch")
--- when it is not authentic and fresh.
function Webhook:verify(headers, body)
  webhook_run(self, lib.oai_webhook_verify, headers, body)
  return true
end

--- Verifies, then returns the event as JSON text and its type (also
--- wh:type(), wh:data()); code "invalid_json" (ERR_PROTOCOL) for an
--- authentic body that is not a JSON object.
function Webhook:unwrap(headers, body)
  webhook_run(self, lib.oai_webhook_unwrap, headers, body)
  return value_json(lib.oai_webhook_json(self.ptr)), cstr(lib.oai_webhook_type(self.ptr))
end

function Webhook:type() return cstr(lib.oai_webhook_type(self.ptr)) end
--- The last event's data object as JSON text, or nil.
function Webhook:data() return value_json(lib.oai_webhook_data(self.ptr)) end

function Webhook:free()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_webhook_free(ffi_gc(p, nil))
  end
end

-- ---------------------------------------------------------------------------
-- Token counts (oai_tokenizer): local, exact, tiktoken's encodings.

local Tokenizer = {}
Tokenizer.__index = Tokenizer

local special_modes = { ordinary = 0, allowed = 1, disallowed = 2 }
M.SPECIAL_ORDINARY, M.SPECIAL_ALLOWED, M.SPECIAL_DISALLOWED = 0, 1, 2

local function wrap_tokenizer(p)
  if p == C_NULL then error(new_error(M.status.ERR_OUT_OF_MEMORY, "cannot create a tokenizer"), 3) end
  p = ffi_gc(p, lib.oai_tokenizer_free)
  local st = tonumber(lib.oai_tokenizer_status(p))
  if st ~= 0 then
    local msg = cstr(lib.oai_tokenizer_error_message(p))
    lib.oai_tokenizer_free(ffi_gc(p, nil))
    error(new_error(st, msg), 3)
  end
  local self = setmetatable({}, Tokenizer)
  self.ptr = p
  self.out = ffi.new("int64_t[1]")
  return self
end

--- A tokenizer of encoding ("o200k_base" or "cl100k_base") read from the
--- .tiktoken file path, or (nil) from $OAI_VOCAB_DIR, else the install
--- directory. Raises an oai.Error (ERR_INVALID_ARGUMENT for an unknown
--- encoding, ERR_IO for a missing file, ERR_INVALID_DATA for a bad one).
function M.tokenizer(encoding, path)
  return wrap_tokenizer(lib.oai_tokenizer_new(encoding, path))
end

--- The tokenizer of a model's encoding, by tiktoken's table; vocab_dir
--- optional. ERR_INVALID_ARGUMENT for a model of no supported encoding.
function M.tokenizer_for_model(model, vocab_dir)
  return wrap_tokenizer(lib.oai_tokenizer_model_new(model, vocab_dir))
end

local function tokenizer_ptr(self)
  local p = rawget(self, "ptr")
  if p == nil then error(new_error(M.status.ERR_INVALID_ARGUMENT, "the tokenizer was freed"), 3) end
  return p
end

local function tokenizer_check(self, st)
  st = tonumber(st)
  if st ~= 0 then error(new_error(st, cstr(lib.oai_tokenizer_error_message(self.ptr))), 3) end
end

--- "o200k_base" or "cl100k_base".
function Tokenizer:name() return cstr(lib.oai_tokenizer_name(tokenizer_ptr(self))) end

--- How special-token text counts: "ordinary" (the default), "allowed",
--- "disallowed" (or oai.SPECIAL_*).
function Tokenizer:set_special_tokens(mode)
  local p = tokenizer_ptr(self)
  local m = special_modes[mode] or mode
  if type(m) ~= "number" then raise(M.status.ERR_INVALID_ARGUMENT, "unknown special-token mode " .. tostring(mode)) end
  tokenizer_check(self, lib.oai_tokenizer_set_special_tokens(p, m))
  return self
end

--- The tokens of a string (its bytes; invalid UTF-8 counts as its repair).
function Tokenizer:count(text)
  local p = tokenizer_ptr(self)
  tokenizer_check(self, lib.oai_tokenizer_count_text(p, text, #text, self.out))
  return tonumber(self.out[0])
end

--- The prompt tokens of a chat request's /messages (the cookbook's recipe).
function Tokenizer:count_chat(req)
  local p = tokenizer_ptr(self)
  tokenizer_check(self, lib.oai_tokenizer_count_chat(p, req.ptr, self.out))
  return tonumber(self.out[0])
end

--- The same for a messages array: JSON text, or a Lua array of
--- {role=, content=, name=} tables.
function Tokenizer:count_messages(messages)
  local p = tokenizer_ptr(self)
  local json = type(messages) == "string" and messages or (#messages == 0 and "[]" or encode(messages))
  tokenizer_check(self, lib.oai_tokenizer_count_messages(p, json, #json, self.out))
  return tonumber(self.out[0])
end

--- Frees the tokenizer now (the collector does it otherwise).
function Tokenizer:free()
  local p = rawget(self, "ptr")
  if p ~= nil then
    self.ptr = nil
    lib.oai_tokenizer_free(ffi_gc(p, nil))
  end
end

M.Client, M.Request, M.Response, M.Call, M.Webhook = Client, Request, Response, Call, Webhook
M.Tokenizer = Tokenizer

return M
