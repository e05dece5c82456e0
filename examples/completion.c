/*
 * completion.c — the same poem through the legacy completions endpoint.
 *
 * POST /completions takes a plain prompt instead of a list of messages. On
 * OpenAI only gpt-3.5-turbo-instruct (and the base models) still serve it,
 * but many local servers expose their models through it too.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_completion                      # gpt-3.5-turbo-instruct
 *   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 ./example_completion my-model
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include <oai.h>

/* The helper sets "model" and "prompt"; the sampling fields are set by JSON
 * Pointer, exactly as for a chat request. */
static oai_request *build_request(const char *model)
{
    oai_request *req = oai_completion_create_request_new(model, "写一首关于春天的诗");

    if (!req)
        return NULL;
    if (oai_request_set_int(req, "/max_tokens", 100) != OAI_OK ||
        oai_request_set_number(req, "/temperature", 0.7) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* The error class, the API's message and the request id. */
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
    const char *model = argc > 1 ? argv[1] : "gpt-3.5-turbo-instruct";
    oai_client *client = oai_client_new(); /* OPENAI_API_KEY, OPENAI_BASE_URL */
    oai_request *req = build_request(model);
    oai_response *res;
    int exit_code = 0;

    if (!client || !req) {
        fprintf(stderr, "error: cannot set up the client or the request\n");
        oai_request_free(req);
        oai_client_free(client);
        return 1;
    }

    res = oai_client_send(client, req);
    if (oai_response_status(res) == OAI_OK) {
        /* For a legacy completion, the text is choices[0].text. */
        const char *text = oai_response_text(res);
        printf("%s\n", text ? text : "");
    } else {
        print_error(res);
        exit_code = 1;
    }

    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(client);
    return exit_code;
}
