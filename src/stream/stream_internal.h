/* Internal hooks of the SSE decoder (sse.c) and the stream accumulator
 * (stream.c): what the stream layer and the tests need beyond the public
 * oai_sse_* / oai_stream_* API in oai.h. */
#ifndef OAI_STREAM_INTERNAL_H
#define OAI_STREAM_INTERNAL_H

#include "oai.h"

/* Receives a field the decoder does not know (anything but data, event, id
 * and retry), with its name and value (one leading space already stripped;
 * neither is NUL-terminated). Returning non-zero stops decoding like the
 * event callback does (OAI_ERR_CANCELLED). The stream layer uses it to catch
 * the `error: {...}` lines that old llama.cpp servers send. */
typedef int (*oai__sse_field_fn)(void *userdata, const char *name, size_t name_len,
                                const char *value, size_t value_len);

/* Sets (or, with NULL, clears) the unknown-field callback. */
void oai__sse_set_field_callback(oai_sse *sse, oai__sse_field_fn fn, void *userdata);

/* How many input bytes the decoder has examined in search of line ends so
 * far. Each byte fed is examined once, so this equals the bytes fed (plus at
 * most the three bytes of a BOM): tests assert it to prove linear time. */
uint64_t oai__sse_bytes_scanned(const oai_sse *sse);

/* Bytes the decoder holds in its buffers (their capacities). */
size_t oai__sse_retained_bytes(const oai_sse *sse);

/* oai_stream_result() telling why a result is missing: *result gets the
 * accumulated object (NULL before the first chunk) and OAI_OK is returned,
 * or *result gets NULL and OAI_ERR_OUT_OF_MEMORY is returned when building
 * the object ran out of memory. */
oai_status oai__stream_get_result(const oai_stream *s, const oai_value **result);

/* Switches the fast path of chat and completions chunks (chunk_scan.c) on
 * (the default) or off. Off, every chunk is parsed into a tree as before:
 * the differential fuzzer and the tests compare the two. */
oai_status oai__stream_set_fast_path(oai_stream *s, int enabled);

/* How many JSON payloads the fast path took, and how many the full parser
 * (*fast, *tree may be NULL). */
void oai__stream_path_counts(const oai_stream *s, uint64_t *fast, uint64_t *tree);

/* Sets the size limit of one event for the stream's built-in decoder (see
 * oai_sse_set_max_event_size()). */
oai_status oai__stream_set_max_event_size(oai_stream *s, size_t max_bytes);

/* Bytes the accumulator holds: its text and tool-call buffers, its
 * per-choice state, the decoder's buffers, and (accumulation off) the raw
 * size of the last chunk it keeps. Small JSON values it references (id,
 * model, usage, ...) are not counted. Tests assert it stays flat when
 * accumulation is off. */
size_t oai__stream_retained_bytes(const oai_stream *s);

/* A copy of an event that outlives the callback it was handed to: its
 * strings are copied and its JSON is referenced. NULL when memory ran out.
 * *bytes (may be NULL) gets the memory it holds, for queue limits. */
oai_event *oai__event_dup(const oai_event *ev, size_t *bytes);
/* Hands @p fn an event of @p type whose JSON is @p json (borrowed for the
 * call), as a workflow's item or progress; returns fn's answer. */
int oai__event_emit_json(int type, const oai_value *json, int (*fn)(void *ud, const oai_event *ev), void *ud);

/* The bytes a copy of the event holds (what oai__event_dup() reports). */
size_t oai__event_size(const oai_event *ev);
void oai__event_free(oai_event *ev);

#endif
