/*
 * stream.c — stream a chat answer, and let the model call a tool.
 *
 * The model is offered one tool, get_weather. Text is printed as it is
 * generated. When the model decides to call the tool instead of answering,
 * we run the tool, add its result to the conversation and stream the
 * model's follow-up answer:
 *
 *   user:      What's the weather like in Paris?
 *   assistant: (calls get_weather {"city":"Paris"})
 *   tool:      {"city":"Paris","temperature_c":18,"condition":"sunny"}
 *   assistant: It is sunny in Paris, 18 °C.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_stream [MODEL]
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include <oai.h>

/* A model could keep calling tools; stop after this many turns. */
#define MAX_TURNS 4

/* The tool's parameters, as a JSON Schema the model fills in. */
static const char weather_schema[] =
    "{\"type\":\"object\","
    " \"properties\":{\"city\":{\"type\":\"string\","
    "                         \"description\":\"The city, e.g. Paris\"}},"
    " \"required\":[\"city\"],"
    " \"additionalProperties\":false}";

/* What the event callback remembers between events. */
typedef struct printer {
    int line_open; /* something was printed since the last newline */
} printer;

/* Prints the event's text (it may hold NUL bytes, so use its length). */
static void print_piece(const oai_event *ev)
{
    if (oai_event_text(ev))
        fwrite(oai_event_text(ev), 1, oai_event_text_len(ev), stdout);
}

/* Called for every streamed event, as soon as it arrives. */
static int on_event(void *userdata, const oai_event *ev)
{
    printer *p = userdata;

    switch (oai_event_type_of(ev)) {
    case OAI_EVENT_TEXT:
        /* A piece of the answer. */
        print_piece(ev);
        p->line_open = 1;
        break;
    case OAI_EVENT_TOOL_CALL:
        /* The first fragment of a tool call names the function; the
         * following ones each carry a piece of its JSON arguments. */
        if (oai_event_tool_name(ev)) {
            printf("%s[calling %s] ", p->line_open ? "\n" : "", oai_event_tool_name(ev));
            p->line_open = 1;
        }
        print_piece(ev);
        break;
    default:
        break; /* usage, finish reason, done: nothing to show */
    }
    fflush(stdout); /* show each piece now, not when a buffer fills */
    return 0;       /* returning non-zero would cancel the stream */
}

/* Our tool. A real program would ask a weather service about the city in
 * @p arguments (JSON such as {"city":"Paris"}); we answer the same always. */
static const char *run_tool(const char *name, const char *arguments)
{
    (void)arguments;
    if (name && strcmp(name, "get_weather") == 0)
        return "{\"city\":\"Paris\",\"temperature_c\":18,\"condition\":\"sunny\"}";
    return "{\"error\":\"no such tool\"}";
}

/*
 * If the model's message @p res called tools, appends to the conversation
 * the assistant's turn (its tool calls, replayed) and one tool result per
 * call. Returns the number of tool calls (0: the model answered), or -1 if
 * the request could not be extended.
 */
static int add_tool_turn(oai_request *req, const oai_response *res)
{
    const oai_value *calls = oai_response_get(res, "/choices/0/message/tool_calls");
    const char *text = oai_response_text(res);
    size_t i, count = oai_value_count(calls);

    if (count == 0)
        return 0;
    /* The assistant's turn: any text it said, then its calls. */
    if (text && *text && oai_chat_request_add_message(req, "assistant", text) != OAI_OK)
        return -1;
    for (i = 0; i < count; i++) {
        const oai_value *call = oai_value_item(calls, i);
        if (oai_chat_request_add_tool_call(req, oai_value_get_string(call, "/id"),
                                      oai_value_get_string(call, "/function/name"),
                                      oai_value_get_string(call, "/function/arguments")) != OAI_OK)
            return -1;
    }
    /* Our turn: each call's result, matched to the call by its id. */
    for (i = 0; i < count; i++) {
        const oai_value *call = oai_value_item(calls, i);
        const char *result = run_tool(oai_value_get_string(call, "/function/name"),
                                      oai_value_get_string(call, "/function/arguments"));
        if (oai_chat_request_add_tool_result(req, oai_value_get_string(call, "/id"), result) != OAI_OK)
            return -1;
    }
    return (int)count;
}

/* A streaming chat request that offers the get_weather tool. */
static oai_request *build_request(const char *model, printer *p)
{
    oai_request *req = oai_chat_completion_create_request_new(model);

    if (!req)
        return NULL;
    if (oai_chat_request_add_message(req, "user", "What's the weather like in Paris?") != OAI_OK ||
        oai_chat_request_add_tool(req, "get_weather", "Get the current weather in a city",
                             weather_schema) != OAI_OK ||
        /* Setting an event callback makes the request stream. */
        oai_request_set_event_callback(req, on_event, p) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

static void print_error(const oai_response *res)
{
    oai_status status = oai_response_status(res);
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    fprintf(stderr, "error: %s: %s", oai_status_name(status),
            message ? message : oai_status_message(status));
    if (request_id)
        fprintf(stderr, " (request id %s)", request_id);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    printer p = { 0 };
    oai_client *client = oai_client_new(); /* OPENAI_API_KEY, OPENAI_BASE_URL */
    oai_request *req = build_request(argc > 1 ? argv[1] : "gpt-4o-mini", &p);
    int turn, tool_calls = 0, exit_code = 0;

    if (!client || !req) {
        fprintf(stderr, "error: cannot set up the client or the request\n");
        oai_request_free(req);
        oai_client_free(client);
        return 1;
    }

    for (turn = 0; turn < MAX_TURNS; turn++) {
        /* Events reach on_event() while this call runs. Afterwards the
         * response holds the whole message, put together from the stream
         * as if it had not been streamed. */
        oai_response *res = oai_client_send(client, req);

        if (p.line_open)
            putchar('\n');
        p.line_open = 0;
        if (oai_response_status(res) != OAI_OK) {
            print_error(res);
            oai_response_free(res);
            exit_code = 1;
            break;
        }
        /* The request keeps the conversation: extend it and send it again. */
        tool_calls = add_tool_turn(req, res);
        oai_response_free(res);
        if (tool_calls <= 0)
            break;
    }
    if (tool_calls < 0 || (tool_calls > 0 && turn == MAX_TURNS)) {
        fprintf(stderr, "error: %s\n", tool_calls < 0 ? "cannot extend the conversation"
                                                      : "the model kept calling tools");
        exit_code = 1;
    }

    oai_request_free(req);
    oai_client_free(client);
    return exit_code;
}
