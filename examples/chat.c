/*
 * chat.c — ask a chat model for a poem.
 *
 * The smallest complete liboai program: create a client, build a chat
 * completion request, send it, print the answer.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_chat                # uses gpt-4o-mini
 *   ./example_chat gpt-4.1-nano   # or any model you name
 *
 * To talk to a local OpenAI-compatible server instead (llama.cpp, vLLM,
 * Ollama, the test mock server), set OPENAI_BASE_URL, e.g.
 * http://127.0.0.1:8080/v1.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include <oai.h>

/* A request is a JSON body that we fill in. The helper sets "model" and an
 * empty "messages" array; every other field is set by JSON Pointer, so any
 * API parameter is reachable. Each call reports failure (a bad argument, or
 * memory running out), so we check them all. */
static oai_request *build_request(const char *model)
{
    oai_request *req = oai_chat_completion_create_request_new(model);

    if (!req)
        return NULL;
    if (oai_chat_request_add_message(req, "user", "写一首关于春天的诗") != OAI_OK ||
        oai_request_set_number(req, "/temperature", 0.7) != OAI_OK ||
        oai_request_set_int(req, "/max_tokens", 100) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Prints why a call failed: the error class, the API's own message, and the
 * request id to quote when asking for support. */
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
    const char *model = argc > 1 ? argv[1] : "gpt-4o-mini";
    oai_client *client;
    oai_request *req;
    oai_response *res;
    int exit_code = 0;

    /* The client reads OPENAI_API_KEY and OPENAI_BASE_URL from the
     * environment. Make one and reuse it: it keeps connections open. */
    client = oai_client_new();
    req = build_request(model);
    if (!client || !req) {
        fprintf(stderr, "error: cannot set up the client or the request\n");
        oai_request_free(req);
        oai_client_free(client);
        return 1;
    }

    /* Sending blocks until the answer (or a final error) is in, retrying
     * rate limits and server errors on the way. A response always comes
     * back, and its status says whether the call succeeded. */
    res = oai_client_send(client, req);
    if (oai_response_status(res) == OAI_OK) {
        /* The generated text: choices[0].message.content. */
        const char *text = oai_response_text(res);
        printf("%s\n", text ? text : "");
    } else {
        print_error(res);
        exit_code = 1;
    }

    /* Everything made with a _new function is freed with its _free. */
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(client);
    return exit_code;
}
