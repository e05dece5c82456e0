/* Assertions for the error rule of include/oai.h: a constructor given a bad
 * argument or an unreadable file returns an object that carries a sticky
 * status and a message (NULL only when memory ran out). Include after
 * <cmocka.h> and "oai.h". */
#ifndef OAI_TEST_STICKY_H
#define OAI_TEST_STICKY_H

#include <string.h>

/* EXPR (a TYPE *) returned a failed object: not NULL, STATUS_FN(o) == STATUS, a
 * message from MESSAGE_FN that names the constructor (its text holds
 * "oai_"); the object is then freed with FREE_FN. */
#define assert_failed_object(type, expr, status, status_fn, message_fn, free_fn)                  \
    do {                                                                                    \
        type *failed_obj_ = (expr);                                                                                                      \
        assert_non_null(failed_obj_);                                                       \
        assert_int_equal(status_fn(failed_obj_), (status));                                 \
        assert_non_null(message_fn(failed_obj_));                                           \
        assert_non_null(strstr(message_fn(failed_obj_), "oai_"));                           \
        free_fn(failed_obj_);                                                               \
    } while (0)

/* A request helper's failed request: no method, no path. */
#define assert_request_failed(expr, status)                                                 \
    do {                                                                                    \
        oai_request *failed_req_ = (expr);                                                  \
        assert_non_null(failed_req_);                                                       \
        assert_int_equal(oai_request_status(failed_req_), (status));                        \
        assert_non_null(oai_request_error_message(failed_req_));                            \
        assert_non_null(strstr(oai_request_error_message(failed_req_), "oai_"));            \
        assert_null(oai_request_method(failed_req_));                                       \
        assert_null(oai_request_path(failed_req_));                                         \
        oai_request_free(failed_req_);                                                      \
    } while (0)

#endif
