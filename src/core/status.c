/* Status names and messages, the version, and oai_free(). */
#include "oai.h"
#include "util/util.h"

#include <stdlib.h>

typedef struct status_text {
    const char *name;
    const char *message;
} status_text;

static const status_text statuses[] = {
    [OAI_OK] = {"OAI_OK", "success"},
    [OAI_ERR_INVALID_ARGUMENT] = {"OAI_ERR_INVALID_ARGUMENT", "invalid argument"},
    [OAI_ERR_OUT_OF_MEMORY] = {"OAI_ERR_OUT_OF_MEMORY", "out of memory"},
    [OAI_ERR_IO] = {"OAI_ERR_IO", "local I/O error"},
    [OAI_ERR_CONNECTION] = {"OAI_ERR_CONNECTION", "connection error"},
    [OAI_ERR_TIMEOUT] = {"OAI_ERR_TIMEOUT", "timed out"},
    [OAI_ERR_TLS] = {"OAI_ERR_TLS", "TLS error"},
    [OAI_ERR_PROTOCOL] = {"OAI_ERR_PROTOCOL", "malformed response from the server"},
    [OAI_ERR_CANCELLED] = {"OAI_ERR_CANCELLED", "cancelled"},
    [OAI_ERR_TOO_LARGE] = {"OAI_ERR_TOO_LARGE", "response too large"},
    [OAI_ERR_BAD_REQUEST] = {"OAI_ERR_BAD_REQUEST", "bad request (HTTP 400)"},
    [OAI_ERR_AUTHENTICATION] = {"OAI_ERR_AUTHENTICATION", "authentication failed (HTTP 401)"},
    [OAI_ERR_PERMISSION_DENIED] = {"OAI_ERR_PERMISSION_DENIED", "permission denied (HTTP 403)"},
    [OAI_ERR_NOT_FOUND] = {"OAI_ERR_NOT_FOUND", "not found (HTTP 404)"},
    [OAI_ERR_CONFLICT] = {"OAI_ERR_CONFLICT", "conflict (HTTP 409)"},
    [OAI_ERR_UNPROCESSABLE] = {"OAI_ERR_UNPROCESSABLE", "unprocessable entity (HTTP 422)"},
    [OAI_ERR_RATE_LIMIT] = {"OAI_ERR_RATE_LIMIT", "rate limit exceeded (HTTP 429)"},
    [OAI_ERR_SERVER] = {"OAI_ERR_SERVER", "server error (HTTP 5xx)"},
    [OAI_ERR_API] = {"OAI_ERR_API", "API error"},
    [OAI_ERR_TYPE] = {"OAI_ERR_TYPE", "value has another type"},
    [OAI_ERR_INVALID_DATA] = {"OAI_ERR_INVALID_DATA", "data failed validation"},
};

static const status_text *lookup(oai_status status)
{
    size_t i = (size_t)status;
    if ((int)status < 0 || i >= sizeof statuses / sizeof *statuses || !statuses[i].name)
        return NULL;
    return &statuses[i];
}

OAI_API const char *oai_status_name(oai_status status)
{
    const status_text *t = lookup(status);
    return t ? t->name : "OAI_ERR_UNKNOWN";
}

OAI_API const char *oai_status_message(oai_status status)
{
    const status_text *t = lookup(status);
    return t ? t->message : "unknown status";
}

OAI_API const char *oai_version(void)
{
    return OAI_VERSION_STRING;
}

OAI_API void oai_free(void *ptr)
{
    oai__free(ptr);
}

OAI_API int oai_version_check(int major, int minor, int patch)
{
    if (OAI_VERSION_MAJOR != major)
        return OAI_VERSION_MAJOR > major;
    if (OAI_VERSION_MINOR != minor)
        return OAI_VERSION_MINOR > minor;
    return OAI_VERSION_PATCH >= patch;
}
