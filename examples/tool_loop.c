/*
 * tool_loop.c — the tool loop, pulled from a frame loop.
 *
 * A game or a UI thread cannot block, and a host language often cannot
 * hand C a callback. Here the tool loop (oai_client_start_send_with_tools()
 * with no tool function and no callback) runs inside a fixed-rate loop:
 * once per frame the program polls the client, takes the loop's events
 * with oai_call_next_event() and
 *
 *   - prints the answer's text as it streams in (OAI_EVENT_TEXT),
 *   - answers each tool call the model makes (OAI_EVENT_TOOL_CALL) with
 *     oai_call_answer_tool(), from a local weather table,
 *   - stops when the call is done.
 *
 * The loop sends the conversation again with the results by itself, and
 * streams that step too:
 *
 *   user:      What's the weather like in Paris?
 *   assistant: Let me look that up. (calls get_weather {"city":"Paris"})
 *   tool:      {"city":"Paris","temperature_c":18,"condition":"sunny"}
 *   assistant: It is sunny in Paris, 18 °C.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_tool_loop [MODEL]
 *
 * Set OPENAI_BASE_URL to talk to a local OpenAI-compatible server.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <oai.h>

#define FRAME_NS 16666667L /* 60 frames a second */
#define MAX_STEPS 4        /* requests at most: the model could keep calling tools */
#define MAX_CALLS 8        /* tool calls answered per frame */

static const char weather_schema[] =
    "{\"type\":\"object\","
    " \"properties\":{\"city\":{\"type\":\"string\",\"description\":\"The city, e.g. Paris\"}},"
    " \"required\":[\"city\"],"
    " \"additionalProperties\":false}";

/* The "weather service": a lookup table. */
static const struct {
    const char *city;
    const char *weather;
} weather_table[] = {
    {"Paris", "{\"city\":\"Paris\",\"temperature_c\":18,\"condition\":\"sunny\"}"},
    {"London", "{\"city\":\"London\",\"temperature_c\":12,\"condition\":\"rain\"}"},
    {"Tokyo", "{\"city\":\"Tokyo\",\"temperature_c\":22,\"condition\":\"cloudy\"}"},
};

/* The tool. The arguments are the model's JSON ({"city":"Paris"}); a
 * real program would read them with its JSON library, a lookup table can
 * just look for the quoted name. */
static const char *get_weather(const char *arguments)
{
    char quoted[64];
    size_t i;
    for (i = 0; i < sizeof weather_table / sizeof weather_table[0]; i++) {
        snprintf(quoted, sizeof quoted, "\"%s\"", weather_table[i].city);
        if (strstr(arguments, quoted))
            return weather_table[i].weather;
    }
    return "{\"error\":\"unknown city\"}";
}

static oai_request *build_request(const char *model)
{
    oai_request *req = oai_chat_completion_create_request_new(model);

    if (!req)
        return NULL;
    if (oai_chat_request_add_message(req, "user", "What's the weather like in Paris?") != OAI_OK ||
        oai_chat_request_add_tool(req, "get_weather", "Get the current weather in a city", weather_schema) !=
            OAI_OK ||
        /* Stream, with no event callback: the events wait in the call. */
        oai_request_set_stream(req, 1) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

static void wait_for_next_frame(void)
{
    struct timespec ts = {0, FRAME_NS};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void print_error(const oai_response *res)
{
    oai_status status = oai_response_status(res);
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    fprintf(stderr, "error: %s: %s", oai_status_name(status), message ? message : oai_status_message(status));
    if (request_id)
        fprintf(stderr, " (request id %s)", request_id);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    oai_client *client = oai_client_new(); /* OPENAI_API_KEY, OPENAI_BASE_URL */
    oai_request *req = build_request(argc > 1 ? argv[1] : "gpt-4o-mini");
    oai_call *loop = NULL;
    int exit_code = 0, line_open = 0;

    if (client && req) /* NULL tool function, no callbacks: the pull form */
        loop = oai_client_start_send_with_tools(client, req, MAX_STEPS, NULL, NULL, NULL, NULL, NULL, NULL);
    if (!loop) {
        fprintf(stderr, "error: cannot set up the client or the request\n");
        oai_request_free(req);
        oai_client_free(client);
        return 1;
    }

    for (;;) {
        /* One frame: the library's turn, then ours. */
        char ids[MAX_CALLS][64];
        const char *outputs[MAX_CALLS];
        int calls = 0, i;
        const oai_event *ev;

        oai_client_poll(client, 0);
        while (oai_call_next_event(loop, &ev) == OAI_OK && ev) {
            switch (oai_event_type_of(ev)) {
            case OAI_EVENT_TEXT: /* a piece of the answer, as it streams in */
                fwrite(oai_event_text(ev), 1, oai_event_text_len(ev), stdout);
                fflush(stdout);
                line_open = 1;
                break;
            case OAI_EVENT_TOOL_CALL: { /* {"step","index","id","name","arguments"} */
                const char *name = oai_event_get_string(ev, "/name");
                const char *arguments = oai_event_get_string(ev, "/arguments");
                if (line_open)
                    putchar('\n');
                line_open = 0;
                printf("[%s %s]\n", name, arguments);
                if (calls == MAX_CALLS) /* left unanswered: cancel */
                    oai_call_cancel(loop);
                else {
                    /* ev dies at the next oai_call_next_event(): keep the id. */
                    snprintf(ids[calls], sizeof ids[calls], "%s", oai_event_get_string(ev, "/id"));
                    outputs[calls++] = strcmp(name, "get_weather") == 0 ? get_weather(arguments)
                                                                        : "{\"error\":\"no such tool\"}";
                }
                break;
            }
            default: /* the other deltas, and OAI_EVENT_DONE with the conversation */
                break;
            }
        }
        /* The step's last answer sends the next request; the next frames'
         * polls carry it. */
        for (i = 0; i < calls; i++)
            if (oai_call_answer_tool(loop, ids[i], outputs[i]) != OAI_OK)
                oai_call_cancel(loop);
        if (oai_call_is_done(loop))
            break;
        wait_for_next_frame();
    }
    if (line_open)
        putchar('\n');

    {
        oai_response *res = oai_call_take_response(loop);
        if (oai_response_status(res) != OAI_OK) {
            print_error(res);
            exit_code = 1;
        }
        oai_response_free(res);
    }
    oai_call_free(loop);
    oai_request_free(req);
    oai_client_free(client);
    return exit_code;
}
