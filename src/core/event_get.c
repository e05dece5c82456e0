/* The JSON Pointer getters of a streamed event that were missing beside
 * oai_event_get_string() and oai_event_get_int() (stream/stream.c), so that
 * events, responses, requests and values offer the same family. Built on
 * the public accessors only. */
#include "oai.h"

OAI_API const oai_value *oai_event_get(const oai_event *ev, const char *pointer)
{
    return oai_value_get(oai_event_json(ev), pointer);
}

OAI_API double oai_event_get_number(const oai_event *ev, const char *pointer)
{
    return oai_value_number(oai_event_get(ev, pointer));
}

OAI_API int oai_event_get_bool(const oai_event *ev, const char *pointer)
{
    return oai_value_bool(oai_event_get(ev, pointer));
}

OAI_API size_t oai_event_get_count(const oai_event *ev, const char *pointer)
{
    return oai_value_count(oai_event_get(ev, pointer));
}
