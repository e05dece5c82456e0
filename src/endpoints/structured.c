/* Structured outputs and tool calls: the request side (a JSON schema as
 * `response_format` for chat, `text.format` for the Responses API) and the
 * reading side (the reply's text parsed as JSON, the refusal, the tool
 * calls of chat completions and the Responses API's function_call items).
 *
 * The reading side works on the public view of a response only
 * (oai_response_json(), oai_response_text()), so it reads a streamed
 * response's accumulated result exactly as it reads a plain one. What it
 * parses is kept in the response's own JSON document, as the official
 * Python SDK's `parse()` exposes it: `/choices/0/message/parsed` (chat),
 * `/output_parsed` (Responses), and `parsed_arguments` beside a tool
 * call's `arguments`. So a parsed value lives exactly as long as the
 * response, with no storage of its own, and a second call returns the
 * same value. */
#include "endpoints/endpoints.h"
#include "json/json.h"

#include <string.h>

/* ---- the request side ------------------------------------------------------------ */

static int is_responses_request(const oai_request *r)
{
    size_t n = r->path ? strlen(r->path) : 0;
    return n >= 10 && strcmp(r->path + n - 10, "/responses") == 0;
}

/* The API's rule for a schema's name: 1 to 64 of a-z, A-Z, 0-9, '_', '-'. */
static int schema_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return 0;
    }
    return 1;
}

static oai_status put(oai_value *obj, const char *key, oai_value *v)
{
    return v ? oai__json_object_set(obj, key, v) : OAI_ERR_OUT_OF_MEMORY;
}

/* Sets the format object; `schema` is stolen. */
static oai_status set_schema(oai_request *r, const char *name, oai_value *schema, int strict)
{
    int responses = is_responses_request(r);
    oai_value *format = oai__json_object(), *inner = responses ? format : oai__json_object();
    oai_status st = (format && inner) ? put(format, "type", oai__json_string("json_schema", 11)) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put(inner, "name", oai__json_string(name, strlen(name)));
    if (st == OAI_OK) {
        st = oai__json_object_set(inner, "schema", schema);
        schema = NULL;
    }
    if (st == OAI_OK)
        st = put(inner, "strict", oai__json_bool(strict != 0));
    if (st == OAI_OK && !responses) {
        st = oai__json_object_set(format, "json_schema", inner);
        inner = NULL;
    }
    if (!responses)
        oai__json_decref(inner);
    oai__json_decref(schema);
    if (st != OAI_OK) {
        oai__json_decref(format);
        return st;
    }
    /* The pointer set checks the whole document's nesting and leaves the
     * request as it was on failure. */
    return oai__json_pointer_set(&r->body, responses ? "/text/format" : "/response_format", format);
}

OAI_API oai_status oai_request_set_json_schema(oai_request *req, const char *name, const char *schema_json, int strict)
{
    if (!req || !schema_name_ok(name) || !schema_json)
        return OAI_ERR_INVALID_ARGUMENT;
    if (req->status != OAI_OK)
        return req->status;
    oai_status st = OAI_OK;
    oai_value *schema = oai__json_parse(schema_json, strlen(schema_json), &st);
    if (oai_value_type_of(schema) != OAI_VALUE_OBJECT) {
        oai__json_decref(schema);
        return st == OAI_ERR_OUT_OF_MEMORY ? st : OAI_ERR_INVALID_ARGUMENT;
    }
    return set_schema(req, name, schema, strict);
}

OAI_API oai_status oai_request_set_json_schema_value(oai_request *req, const char *name, const oai_value *schema,
                                                     int strict)
{
    if (!req || !schema_name_ok(name) || oai_value_type_of(schema) != OAI_VALUE_OBJECT)
        return OAI_ERR_INVALID_ARGUMENT;
    if (req->status != OAI_OK)
        return req->status;
    oai_value *copy = oai__json_deep_copy(schema);
    return copy ? set_schema(req, name, copy, strict) : OAI_ERR_OUT_OF_MEMORY;
}

/* ---- the reading side: where things are ------------------------------------------ */

/* The response's document, writable: the parsed values are added to it.
 * The document is the response's own (heap memory, freed with it); the
 * public accessor hands it out const because callers must not change it. */
static oai_value *document(const oai_response *res)
{
    return (oai_value *)oai_response_json(res);
}

static int is_responses_result(const oai_value *doc)
{
    const char *object = oai_value_get_string(doc, "/object");
    return (object && strcmp(object, "response") == 0) ||
           (!oai_value_get(doc, "/choices") && oai_value_type_of(oai_value_get(doc, "/output")) == OAI_VALUE_ARRAY);
}

static int string_is(const oai_value *v, const char *s)
{
    const char *str = oai_value_string(v);
    return str && strcmp(str, s) == 0;
}

/* The Responses API's output item: the index-th of type `type`. */
static oai_value *output_item(const oai_value *doc, const char *type, size_t index)
{
    const oai_value *output = oai_value_get(doc, "/output");
    for (size_t i = 0, n = oai_value_count(output); i < n; i++) {
        const oai_value *item = oai_value_item(output, i);
        if (string_is(oai_value_get(item, "/type"), type) && index-- == 0)
            return (oai_value *)item;
    }
    return NULL;
}

static size_t output_item_count(const oai_value *doc, const char *type)
{
    const oai_value *output = oai_value_get(doc, "/output");
    size_t count = 0;
    for (size_t i = 0, n = oai_value_count(output); i < n; i++)
        count += string_is(oai_value_get(oai_value_item(output, i), "/type"), type);
    return count;
}

/* ---- refusals and structured output ---------------------------------------------- */

OAI_API const char *oai_response_refusal(const oai_response *res)
{
    const oai_value *doc = oai_response_json(res);
    if (!is_responses_result(doc))
        return oai_value_get_string(doc, "/choices/0/message/refusal");
    for (size_t m = 0;; m++) {
        const oai_value *msg = output_item(doc, "message", m);
        if (!msg)
            return NULL;
        const oai_value *content = oai_value_get(msg, "/content");
        for (size_t i = 0, n = oai_value_count(content); i < n; i++) {
            const oai_value *part = oai_value_item(content, i);
            if (string_is(oai_value_get(part, "/type"), "refusal"))
                return oai_value_get_string(part, "/refusal");
        }
    }
}

/* Where the parsed text is kept: the chat message, or the Responses result;
 * and under which key. NULL when the document has no such place. */
static oai_value *parsed_home(const oai_response *res, const char **key, int *depth)
{
    oai_value *doc = document(res);
    if (is_responses_result(doc)) {
        *key = "output_parsed";
        *depth = 1;
        return oai_value_type_of(doc) == OAI_VALUE_OBJECT ? doc : NULL;
    }
    *key = "parsed";
    *depth = 4; /* {"choices":[{"message":{"parsed": ...}}]} */
    oai_value *msg = oai__json_pointer_get(doc, "/choices/0/message");
    return oai_value_type_of(msg) == OAI_VALUE_OBJECT ? msg : NULL;
}

/* Why there is no text to parse. */
static const char *no_text_reason(const oai_response *res)
{
    if (oai_response_refusal(res))
        return "the model refused (oai_response_refusal() has its text)";
    if (oai_response_tool_call_count(res))
        return "the reply has no text: it only calls tools";
    return "the reply has no text to parse";
}

static int cut_off(const oai_response *res)
{
    return string_is(oai_response_get(res, "/choices/0/finish_reason"), "length") ||
           string_is(oai_response_get(res, "/status"), "incomplete");
}

/* Parses `text` into home[key] unless it is there already; the status and
 * a static message say why not. *value gets the parsed value (borrowed). */
static oai_status parse_into(oai_value *home, const char *key, int depth, const char *text, size_t len,
                             const oai_value **value, const char **why)
{
    oai_value *have = oai__json_object_get(home, key);
    if (have) {
        *value = have;
        return OAI_OK;
    }
    oai_status st = OAI_OK;
    oai_value *parsed = oai__json_parse(text, len, &st);
    if (!parsed) {
        *why = st == OAI_ERR_OUT_OF_MEMORY ? "out of memory" : NULL;
        return st == OAI_ERR_OUT_OF_MEMORY ? st : OAI_ERR_PROTOCOL;
    }
    if (!oai__json_nesting_within(parsed, OAI_JSON_MAX_DEPTH - depth)) {
        oai__json_decref(parsed);
        *why = "the JSON is nested too deeply to be kept";
        return OAI_ERR_PROTOCOL;
    }
    st = oai__json_object_set(home, key, parsed);
    if (st != OAI_OK) {
        *why = "out of memory";
        return st;
    }
    *value = oai__json_object_get(home, key);
    return OAI_OK;
}

/* The one routine behind the three parsed accessors. */
static oai_status parse_text(const oai_response *res, const oai_value **value, const char **why)
{
    *value = NULL;
    *why = NULL;
    if (!res) {
        *why = "NULL response";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    oai_status st = oai_response_status(res);
    if (st != OAI_OK) {
        *why = oai_response_error_message(res);
        if (!*why)
            *why = oai_status_message(st);
        return st;
    }
    const char *key;
    int depth;
    oai_value *home = parsed_home(res, &key, &depth);
    const char *text = oai_response_text(res);
    if (!home && text && !oai_response_json(res)) {
        *why = "out of memory"; /* the document could not be built */
        return OAI_ERR_OUT_OF_MEMORY;
    }
    if (!home || !text) {
        *why = no_text_reason(res);
        return OAI_ERR_TYPE;
    }
    st = parse_into(home, key, depth, text, strlen(text), value, why);
    if (st == OAI_ERR_PROTOCOL && !*why)
        *why = cut_off(res) ? "the reply's text is not valid JSON: it was cut off at the token limit"
                            : "the reply's text is not valid JSON";
    return st;
}

OAI_API const oai_value *oai_response_parsed(const oai_response *res)
{
    const oai_value *value;
    const char *why;
    parse_text(res, &value, &why);
    return value;
}

OAI_API oai_status oai_response_parsed_status(const oai_response *res)
{
    const oai_value *value;
    const char *why;
    return parse_text(res, &value, &why);
}

OAI_API const char *oai_response_parsed_error_message(const oai_response *res)
{
    const oai_value *value;
    const char *why;
    return parse_text(res, &value, &why) == OAI_OK ? NULL : why;
}

/* ---- tool calls -------------------------------------------------------------------- */

/* The tool call at `index`: chat's `tool_calls[index]` (its `function`
 * object in *fn) or the index-th Responses `function_call` item (*fn the
 * item itself). */
static oai_value *tool_call(const oai_response *res, size_t index, oai_value **fn)
{
    oai_value *doc = document(res);
    oai_value *call;
    if (is_responses_result(doc)) {
        call = output_item(doc, "function_call", index);
        *fn = call;
    } else {
        oai_value *calls = oai__json_pointer_get(doc, "/choices/0/message/tool_calls");
        call = oai_value_type_of(calls) == OAI_VALUE_ARRAY ? oai__json_array_get(calls, index) : NULL;
        *fn = oai__json_object_get(call, "function");
    }
    if (oai_value_type_of(call) != OAI_VALUE_OBJECT || oai_value_type_of(*fn) != OAI_VALUE_OBJECT)
        return *fn = NULL;
    return call;
}

OAI_API size_t oai_response_tool_call_count(const oai_response *res)
{
    const oai_value *doc = oai_response_json(res);
    if (is_responses_result(doc))
        return output_item_count(doc, "function_call");
    const oai_value *calls = oai_value_get(doc, "/choices/0/message/tool_calls");
    return oai_value_type_of(calls) == OAI_VALUE_ARRAY ? oai_value_count(calls) : 0;
}

OAI_API const char *oai_response_tool_call_id(const oai_response *res, size_t index)
{
    oai_value *fn;
    oai_value *call = tool_call(res, index, &fn);
    if (call && call == fn) { /* Responses: the id the output is sent back with */
        const char *id = oai_value_get_string(call, "/call_id");
        return id ? id : oai_value_get_string(call, "/id");
    }
    return oai_value_get_string(call, "/id");
}

OAI_API const char *oai_response_tool_call_name(const oai_response *res, size_t index)
{
    oai_value *fn;
    tool_call(res, index, &fn);
    return oai_value_get_string(fn, "/name");
}

OAI_API const char *oai_response_tool_call_arguments(const oai_response *res, size_t index)
{
    oai_value *fn;
    tool_call(res, index, &fn);
    return oai_value_get_string(fn, "/arguments");
}

static oai_status parse_arguments(const oai_response *res, size_t index, const oai_value **value)
{
    *value = NULL;
    if (!res)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *fn;
    oai_value *call = tool_call(res, index, &fn);
    if (!call)
        return OAI_ERR_INVALID_ARGUMENT;
    const oai_value *args = oai_value_get(fn, "/arguments");
    if (oai_value_type_of(args) != OAI_VALUE_STRING)
        return OAI_ERR_TYPE;
    /* chat: {"choices":[{"message":{"tool_calls":[{"function":{...}}]}}]};
     * Responses: {"output":[{...}]} */
    int depth = call == fn ? 3 : 6;
    const char *why = NULL;
    return parse_into(fn, "parsed_arguments", depth, oai_value_string(args), oai_value_string_len(args), value, &why);
}

OAI_API const oai_value *oai_response_tool_call_arguments_json(const oai_response *res, size_t index)
{
    const oai_value *value;
    parse_arguments(res, index, &value);
    return value;
}

OAI_API oai_status oai_response_tool_call_arguments_status(const oai_response *res, size_t index)
{
    const oai_value *value;
    return parse_arguments(res, index, &value);
}

/* ---- the reply and tool outputs back into the conversation ------------------------ */

/* A copy of the string at `pointer` under `from` as obj[key] (absent: nothing;
 * null when `null_ok` and the value is null). */
static oai_status copy_string(oai_value *obj, const char *key, const oai_value *from, const char *pointer, int null_ok)
{
    const oai_value *v = oai_value_get(from, pointer);
    if (oai_value_type_of(v) == OAI_VALUE_STRING)
        return put(obj, key, oai__json_string(oai_value_string(v), oai_value_string_len(v)));
    if (null_ok)
        return put(obj, key, oai__json_null());
    return OAI_OK;
}

/* Chat: the reply's message as the API takes it back: role, content (a
 * string or null), refusal, and tool calls with only id, type and
 * function name and arguments. Nothing else goes back: servers refuse
 * fields they do not take (DeepSeek refuses its own reasoning_content),
 * and what the readers added (`parsed`) is ours. */
static oai_value *chat_turn(const oai_value *msg, oai_status *st)
{
    oai_value *turn = oai__json_object(), *calls = NULL;
    const oai_value *tool_calls = oai_value_get(msg, "/tool_calls");
    *st = turn ? put(turn, "role", oai__json_string("assistant", 9)) : OAI_ERR_OUT_OF_MEMORY;
    if (*st == OAI_OK)
        *st = copy_string(turn, "content", msg, "/content", 1);
    if (*st == OAI_OK)
        *st = copy_string(turn, "refusal", msg, "/refusal", 0);
    size_t n = oai_value_type_of(tool_calls) == OAI_VALUE_ARRAY ? oai_value_count(tool_calls) : 0;
    if (*st == OAI_OK && n) {
        calls = oai__json_array();
        *st = calls ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < n && *st == OAI_OK; i++) {
        const oai_value *call = oai_value_item(tool_calls, i);
        oai_value *copy = oai__json_object(), *fn = oai__json_object();
        *st = (copy && fn) ? copy_string(copy, "id", call, "/id", 0) : OAI_ERR_OUT_OF_MEMORY;
        if (*st == OAI_OK)
            *st = put(copy, "type", oai__json_string("function", 8));
        if (*st == OAI_OK)
            *st = copy_string(fn, "name", call, "/function/name", 0);
        if (*st == OAI_OK) {
            const oai_value *args = oai_value_get(call, "/function/arguments");
            *st = oai_value_type_of(args) == OAI_VALUE_STRING ? copy_string(fn, "arguments", call, "/function/arguments", 0)
                                                               : put(fn, "arguments", oai__json_string("", 0));
        }
        if (*st == OAI_OK) {
            *st = oai__json_object_set(copy, "function", fn);
            fn = NULL;
        }
        oai__json_decref(fn);
        if (*st == OAI_OK)
            *st = oai__json_array_append(calls, copy);
        else
            oai__json_decref(copy);
    }
    if (*st == OAI_OK && calls) {
        *st = oai__json_object_set(turn, "tool_calls", calls);
        calls = NULL;
    }
    oai__json_decref(calls);
    if (*st != OAI_OK) {
        oai__json_decref(turn);
        return NULL;
    }
    return turn;
}

/* Responses: `input` as a list (a string input becomes a user message),
 * built on a copy of the body so that a failure changes nothing. */
static oai_value *input_list(const oai_request *r, oai_status *st)
{
    const oai_value *input = oai_value_get(r->body, "/input");
    *st = OAI_OK;
    if (oai_value_type_of(input) == OAI_VALUE_ARRAY) {
        oai_value *copy = oai__json_deep_copy(input);
        *st = copy ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
        return copy;
    }
    oai_value *list = oai__json_array(), *msg = NULL;
    *st = list ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
    if (*st == OAI_OK && oai_value_type_of(input) == OAI_VALUE_STRING) {
        msg = oai__json_object();
        *st = msg ? put(msg, "role", oai__json_string("user", 4)) : OAI_ERR_OUT_OF_MEMORY;
        if (*st == OAI_OK)
            *st = copy_string(msg, "content", input, "", 0);
        if (*st == OAI_OK) {
            *st = oai__json_array_append(list, msg);
            msg = NULL;
        }
    }
    oai__json_decref(msg);
    if (*st != OAI_OK) {
        oai__json_decref(list);
        return NULL;
    }
    return list;
}

/* Replaces `input` with `list` (stolen), through the pointer setter (which
 * checks the nesting and leaves the body as it was on failure). */
static oai_status set_input(oai_request *r, oai_value *list)
{
    return oai__json_pointer_set(&r->body, "/input", list);
}

OAI_API oai_status oai_request_add_reply(oai_request *req, const oai_response *res)
{
    if (!req || !res)
        return OAI_ERR_INVALID_ARGUMENT;
    if (req->status != OAI_OK)
        return req->status;
    if (oai_response_status(res) != OAI_OK)
        return OAI_ERR_INVALID_ARGUMENT;
    const oai_value *doc = oai_response_json(res);
    oai_status st;
    if (!is_responses_request(req)) {
        const oai_value *msg = oai_value_get(doc, "/choices/0/message");
        if (oai_value_type_of(msg) != OAI_VALUE_OBJECT)
            return OAI_ERR_INVALID_ARGUMENT;
        oai_value *turn = chat_turn(msg, &st);
        return turn ? oai__json_pointer_set(&req->body, "/messages/-", turn) : st;
    }
    const oai_value *output = oai_value_get(doc, "/output");
    if (oai_value_type_of(output) != OAI_VALUE_ARRAY)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *list = input_list(req, &st);
    for (size_t i = 0, n = oai_value_count(output); i < n && st == OAI_OK; i++) {
        oai_value *item = oai__json_deep_copy(oai_value_item(output, i));
        if (!item) {
            st = OAI_ERR_OUT_OF_MEMORY;
            break;
        }
        oai__json_object_del(item, "parsed_arguments"); /* ours (see the top of this file) */
        st = oai__json_array_append(list, item);
    }
    if (st != OAI_OK) {
        oai__json_decref(list);
        return st;
    }
    return set_input(req, list);
}

OAI_API oai_status oai_request_add_tool_output(oai_request *req, const char *call_id, const char *output)
{
    if (!req || !oai__nonempty(call_id) || !output)
        return OAI_ERR_INVALID_ARGUMENT;
    if (req->status != OAI_OK)
        return req->status;
    if (!is_responses_request(req))
        return oai_chat_request_add_tool_result(req, call_id, output);
    oai_status st;
    oai_value *item = oai__json_object();
    st = item ? put(item, "type", oai__json_string("function_call_output", 20)) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK) {
        oai_value *id = oai__json_string(call_id, strlen(call_id));
        st = id ? oai__json_object_set(item, "call_id", id) : oai__json_string_failure(call_id, strlen(call_id));
    }
    if (st == OAI_OK) {
        oai_value *out = oai__json_string(output, strlen(output));
        st = out ? oai__json_object_set(item, "output", out) : oai__json_string_failure(output, strlen(output));
    }
    /* A string input becomes a list first (the same conversation). */
    if (st == OAI_OK && oai_value_type_of(oai_value_get(req->body, "/input")) != OAI_VALUE_ARRAY) {
        oai_value *list = input_list(req, &st);
        if (st == OAI_OK)
            st = set_input(req, list);
    }
    if (st != OAI_OK) {
        oai__json_decref(item);
        return st;
    }
    return oai__json_pointer_set(&req->body, "/input/-", item);
}
