/* Endpoint helpers for text generation: chat completions (messages, tools,
 * tool calls and results), legacy completions, the Responses API and
 * embeddings. Each only pre-fills an ordinary request; the method and path
 * of each are its entry in endpoints.def. */
#include "endpoints/endpoints.h"
#include "json/json.h"

#include <stdio.h>
#include <string.h>

/* The entry's request (a POST) with a JSON body holding a model; a failed
 * request for a NULL or empty model. */
static oai_request *post_with_model(oai__endpoint_id id, const char *model)
{
    if (!oai__nonempty(model))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the model is NULL or empty");
    oai_request *r = oai__endpoint_request(id, NULL, 0);
    return oai__endpoint_check(id, r, oai_request_set_string(r, "/model", model),
                               "the model is not valid UTF-8");
}

/* Sets the string body field `name` (a failed request for NULL). */
static oai_request *with_string(oai__endpoint_id id, oai_request *r, const char *name, const char *value)
{
    char pointer[32], why[64];
    snprintf(pointer, sizeof pointer, "/%s", name);
    snprintf(why, sizeof why, value ? "the %s is not valid UTF-8" : "the %s is NULL", name);
    oai_status st = value ? oai_request_set_string(r, pointer, value) : OAI_ERR_INVALID_ARGUMENT;
    return oai__endpoint_check(id, r, st, why);
}

OAI_API oai_request *oai_chat_completion_create_request_new(const char *model)
{
    oai__endpoint_id id = OAI__EP(oai_chat_completion_create_request_new);
    oai_request *r = post_with_model(id, model);
    return oai__endpoint_check(id, r, oai_request_set_json(r, "/messages", "[]"), "cannot set the messages");
}

OAI_API oai_request *oai_completion_create_request_new(const char *model, const char *prompt)
{
    oai__endpoint_id id = OAI__EP(oai_completion_create_request_new);
    return with_string(id, post_with_model(id, model), "prompt", prompt);
}

OAI_API oai_request *oai_response_create_request_new(const char *model, const char *input)
{
    oai__endpoint_id id = OAI__EP(oai_response_create_request_new);
    return with_string(id, post_with_model(id, model), "input", input);
}

OAI_API oai_request *oai_embedding_create_request_new(const char *model, const char *input)
{
    oai__endpoint_id id = OAI__EP(oai_embedding_create_request_new);
    return with_string(id, post_with_model(id, model), "input", input);
}

/* Builds a JSON object from key/value string pairs (a NULL value becomes
 * null) and appends it at `array_pointer`. */
static oai_status append_object(oai_request *r, const char *array_pointer, oai_value *obj)
{
    if (!obj)
        return OAI_ERR_OUT_OF_MEMORY;
    char pointer[64];
    snprintf(pointer, sizeof pointer, "%s/-", array_pointer);
    return oai__json_pointer_set(&r->body, pointer, obj);
}

static oai_status put_string(oai_value *obj, const char *key, const char *value)
{
    oai_value *v = value ? oai__json_string(value, strlen(value)) : oai__json_null();
    if (!v)
        return value ? oai__json_string_failure(value, strlen(value)) : OAI_ERR_OUT_OF_MEMORY;
    return oai__json_object_set(obj, key, v);
}

/* {"role": ROLE, "content": CONTENT} (a NULL content is null), or NULL
 * with the reason in *st. */
static oai_value *message_new(const char *role, const char *content, oai_status *st)
{
    oai_value *msg = oai__json_object();
    *st = msg ? put_string(msg, "role", role) : OAI_ERR_OUT_OF_MEMORY;
    if (*st == OAI_OK)
        *st = put_string(msg, "content", content);
    if (*st != OAI_OK) {
        oai__json_decref(msg);
        return NULL;
    }
    return msg;
}

OAI_API oai_status oai_chat_request_add_message(oai_request *r, const char *role, const char *content)
{
    if (!r || !role || !*role)
        return OAI_ERR_INVALID_ARGUMENT;
    if (r->status != OAI_OK)
        return r->status;
    oai_status st;
    oai_value *msg = message_new(role, content, &st);
    return msg ? append_object(r, "/messages", msg) : st;
}

OAI_API oai_status oai_chat_request_add_tool(oai_request *r, const char *name, const char *description,
                                             const char *parameters_json)
{
    if (!r || !name || !*name)
        return OAI_ERR_INVALID_ARGUMENT;
    if (r->status != OAI_OK)
        return r->status;
    oai_value *params = NULL;
    if (parameters_json) {
        oai_status parsed = OAI_OK;
        params = oai__json_parse(parameters_json, strlen(parameters_json), &parsed);
        if (oai_value_type_of(params) != OAI_VALUE_OBJECT) {
            oai__json_decref(params);
            return parsed == OAI_ERR_OUT_OF_MEMORY ? parsed : OAI_ERR_INVALID_ARGUMENT;
        }
    }
    oai_value *tool = oai__json_object(), *fn = oai__json_object();
    oai_status st = (tool && fn) ? put_string(tool, "type", "function") : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put_string(fn, "name", name);
    if (st == OAI_OK && description)
        st = put_string(fn, "description", description);
    if (st == OAI_OK && params) {
        st = oai__json_object_set(fn, "parameters", params);
        params = NULL;
    }
    if (st == OAI_OK) {
        st = oai__json_object_set(tool, "function", fn);
        fn = NULL;
    }
    oai__json_decref(params);
    oai__json_decref(fn);
    if (st != OAI_OK) {
        oai__json_decref(tool);
        return st;
    }
    return append_object(r, "/tools", tool);
}

OAI_API oai_status oai_chat_request_add_tool_call(oai_request *r, const char *id, const char *name,
                                                  const char *arguments)
{
    if (!r || !id || !*id || !name || !*name)
        return OAI_ERR_INVALID_ARGUMENT;
    if (r->status != OAI_OK)
        return r->status;
    oai_value *call = oai__json_object(), *fn = oai__json_object();
    oai_status st = (call && fn) ? put_string(call, "id", id) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put_string(call, "type", "function");
    if (st == OAI_OK)
        st = put_string(fn, "name", name);
    if (st == OAI_OK)
        st = put_string(fn, "arguments", arguments ? arguments : "{}");
    if (st == OAI_OK) {
        st = oai__json_object_set(call, "function", fn);
        fn = NULL;
    }
    oai__json_decref(fn);
    if (st != OAI_OK) {
        oai__json_decref(call);
        return st;
    }
    /* Join the last message when it is the assistant's. */
    size_t n = oai_value_get_count(r->body, "/messages");
    const oai_value *last = n ? oai_value_item(oai_value_get(r->body, "/messages"), n - 1) : NULL;
    const char *role = oai_value_get_string(last, "/role");
    if (role && strcmp(role, "assistant") == 0) {
        char pointer[64];
        snprintf(pointer, sizeof pointer, "/messages/%zu/tool_calls/-", n - 1);
        return oai__json_pointer_set(&r->body, pointer, call);
    }
    /* Else start one, built whole so that a failure leaves the request as
     * it was. */
    oai_value *msg = message_new("assistant", NULL, &st), *calls = oai__json_array();
    if (msg && !calls)
        st = OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK) {
        st = oai__json_array_append(calls, call);
        call = NULL;
    }
    if (st == OAI_OK) {
        st = oai__json_object_set(msg, "tool_calls", calls);
        calls = NULL;
    }
    oai__json_decref(call);
    oai__json_decref(calls);
    if (st != OAI_OK) {
        oai__json_decref(msg);
        return st;
    }
    return append_object(r, "/messages", msg);
}

OAI_API oai_status oai_chat_request_add_tool_result(oai_request *r, const char *tool_call_id, const char *content)
{
    if (!r || !tool_call_id || !*tool_call_id || !content)
        return OAI_ERR_INVALID_ARGUMENT;
    if (r->status != OAI_OK)
        return r->status;
    oai_value *msg = oai__json_object();
    oai_status st = msg ? put_string(msg, "role", "tool") : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put_string(msg, "tool_call_id", tool_call_id);
    if (st == OAI_OK)
        st = put_string(msg, "content", content);
    if (st != OAI_OK) {
        oai__json_decref(msg);
        return st;
    }
    return append_object(r, "/messages", msg);
}
