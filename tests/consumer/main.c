/* A tiny program that uses liboai as an outside project would: only the
 * installed header and library. The packaging tests build it through
 * pkg-config, find_package(oai) and add_subdirectory(), then run it. */
#include <oai.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    oai_client *client;
    oai_request *req;
    char *body;
    int failed = 0;

    printf("oai %s\n", oai_version());
    if (strcmp(oai_version(), OAI_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s does not match library %s\n", OAI_VERSION_STRING, oai_version());
        return 1;
    }
    printf("%s: %s\n", oai_status_name(OAI_ERR_RATE_LIMIT), oai_status_message(OAI_ERR_RATE_LIMIT));

    client = oai_client_new();
    req = oai_chat_completion_create_request_new("gpt-4o-mini");
    if (client == NULL || req == NULL) {
        fprintf(stderr, "could not create a client and a request\n");
        oai_request_free(req);
        oai_client_free(client);
        return 1;
    }
    if (oai_client_set_base_url(client, "http://127.0.0.1:9/v1") != OAI_OK ||
        oai_chat_request_add_message(req, "user", "hello") != OAI_OK) {
        fprintf(stderr, "setting up the request failed\n");
        failed = 1;
    }
    body = oai_request_body_dup(req);
    printf("base URL %s, body %s\n", oai_client_base_url(client), body ? body : "(none)");
    if (body == NULL)
        failed = 1;
    oai_free(body);
    oai_request_free(req);
    oai_client_free(client);
    return failed;
}
