/* The endpoint table (endpoints.def) as data, and the one path builder of
 * every request helper, generated or hand-written. */
#ifndef OAI_ENDPOINTS_H
#define OAI_ENDPOINTS_H

#include "core/core.h"

#include <stddef.h>

/* How a helper's 2xx answer is read (the table's `answer` column). */
typedef enum oai__answer {
    OAI__ANSWER_JSON,
    OAI__ANSWER_BINARY  /* Accept: application/binary, body kept as bytes */
} oai__answer;

/* The index of a helper's entry: OAI__EP(oai_file_retrieve_request_new). */
#define OAI__EP(function) oai__ep_##function

typedef enum oai__endpoint_id {
#define OAI_ENDPOINT_0(function, method, path, answer, check) OAI__EP(function),
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check) OAI__EP(function),
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note) OAI__EP(function),
#include "endpoints/endpoints.def"
    OAI__EP_COUNT
} oai__endpoint_id;

typedef struct oai__endpoint {
    const char *function; /* the helper's name, for messages */
    const char *method;
    const char *path;     /* template: "/files/{file_id}/content" */
    oai__answer answer;
} oai__endpoint;

/* Indexed by oai__endpoint_id (generated.c). */
extern const oai__endpoint oai__endpoints[OAI__EP_COUNT];

/* A new request for entry `id`: its method, and its path with each
 * {placeholder} replaced, in order, by ids[i] percent-encoded as one path
 * segment (so an id holding '/' or '?' cannot reach another resource), plus
 * what its `answer` asks for. A failed request (see oai__request_failed())
 * when an id is NULL or empty, or when n is not the template's number of
 * placeholders; NULL only when memory ran out. */
oai_request *oai__endpoint_request(oai__endpoint_id id, const char *const *ids, size_t n);

/* The failed request of entry `id`'s helper: "HELPER: WHAT" (status is not
 * OAI_OK). NULL when memory ran out. */
oai_request *oai__endpoint_failed(oai__endpoint_id id, oai_status status, const char *what);

/* What entry `id`'s helper returns after building r step by step, the last
 * step giving `st` (see oai__request_check()): r for OAI_OK, else NULL
 * (out of memory) or a failed request saying "HELPER: WHAT". A failed r
 * is returned as it is, a NULL r (memory ran out before) as NULL. */
oai_request *oai__endpoint_check(oai__endpoint_id id, oai_request *r, oai_status st, const char *what);

#endif
