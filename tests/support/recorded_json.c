/* See recorded_json.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "recorded_json.h"

json_t *request_json(mock_server *ms, size_t index)
{
    const mock_request *req = mock_server_request(ms, index);
    json_error_t error;
    json_t *body;

    assert_non_null(req);
    body = json_loadb(req->body, req->body_len, 0, &error);
    if (!body)
        fail_msg("request %zu has no JSON body: %s", index, error.text);
    return body;
}
