/* The JSON body of a request the mock server recorded, for tests that
 * check what a client or program sent. */
#ifndef OAI_RECORDED_JSON_H
#define OAI_RECORDED_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "mock_server.h"

/* The recorded body of request @p index, parsed (the caller owns it:
 * json_decref). Fails the running cmocka test when there is no such request
 * or its body is not JSON. */
json_t *request_json(mock_server *ms, size_t index);

#endif
