/* Stream accumulators for chat completions, legacy completions and the
 * Responses API, sans-I/O: decoded SSE events in, typed oai_event deltas out
 * to a callback, and the final object in the shape a non-streamed call
 * returns.
 *
 * Text grows in doubling buffers (amortised O(1) per byte); the result JSON
 * is only materialised from them when it is asked for, so a long stream is
 * never re-copied per chunk. Tolerated server quirks: `content: null`,
 * `reasoning_content`/`reasoning`, unknown top-level fields (`timings`,
 * `obfuscation`), `choices: []` chunks (usage, Azure content filter), tool
 * calls without `index` (Ollama), numeric error codes, flat error bodies
 * (vLLM, Responses `error` events), and llama.cpp's old `error:` SSE line. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "oai.h"
#include "retry.h"
#include "stream/chunk_scan.h"
#include "stream/stream_internal.h"
#include "util/util.h"

#define DEFAULT_MAX_CHOICES 128
#define DEFAULT_MAX_BYTES ((int64_t)256 << 20)
#define DEFAULT_MAX_TOOL_CALLS 128
#define DONE_SENTINEL "[DONE]"
#define DONE_SENTINEL_LEN 6
/* After a chunk larger than this, the fast path's scratch space and the
 * kept raw chunk are given back. */
#define SHRINK_ABOVE ((size_t)1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Types */

struct oai_event {
    int type;
    const char *text;
    size_t text_len;
    int choice_index;
    int tool_index;
    const char *tool_id;
    const char *tool_name;
    const char *name;
    const char *data;
    size_t data_len;
    const oai_value *json;
    oai_status error_status;
    /* Lazy JSON: with json NULL, a non-NULL `lazy` says the JSON is the
     * data's, parsed on first access into *lazy (the chunk's shared slot
     * while the event is delivered; own_json in a copy). */
    oai_value **lazy;
    oai_value *own_json;
};

/* A growable text buffer, NUL-terminated once allocated. */
typedef struct text_buf {
    char *p;
    size_t len;
    size_t cap;
} text_buf;

typedef struct tool_acc {
    int seen;
    oai_value *id;   /* set once */
    oai_value *type; /* set once */
    oai_value *name; /* set once */
    text_buf arguments;
} tool_acc;

typedef struct choice_acc {
    int seen;
    int finished; /* a finish_reason arrived */
    oai_value *role;
    oai_value *finish_reason;
    oai_value *logprobs; /* our own copy; its arrays grow chunk by chunk */
    text_buf content, refusal, reasoning;
    int has_content, has_refusal, has_reasoning;
    tool_acc *tools; /* indexed by tool-call index */
    size_t ntools;
    int last_tool; /* the tool call an index-less fragment continues, -1: none */
} choice_acc;

/* A Responses function call announced by `response.output_item.added`. */
typedef struct resp_call {
    int64_t output_index;
    oai_value *id;
    oai_value *name;
} resp_call;

struct oai_stream {
    int kind;
    oai_event_fn fn;
    void *userdata;
    int accumulate;
    int max_choices;
    int max_tool_calls;
    int64_t max_bytes; /* what accumulation may hold; 0: no limit */
    int64_t held;      /* bytes accumulated so far */
    oai_sse *sse;
    int fed;       /* anything was fed */
    int finishing; /* inside oai_stream_finish(): a pending event is the input's tail */
    int chunks;    /* JSON payloads processed */

    oai_status status;
    const char *static_message; /* the error description, when it is ours */
    char *owned_message;        /* the error description the server sent */
    oai_value *error;           /* the normalised server error */
    int done;                   /* ended: [DONE], a terminal event, an error */
    int completed;              /* ended normally */

    /* chat and completions */
    oai_value *id, *created, *model, *fingerprint, *usage;
    choice_acc *choices; /* indexed by choice index */
    size_t nchoices;

    /* Responses */
    oai_value *response; /* the latest snapshot, then the final response */
    text_buf output_text;
    int has_output_text;
    resp_call *calls;
    size_t ncalls;

    /* accumulation off: the last chunk is the result (from the fast path,
     * its raw text, parsed when the result is asked for) */
    oai_value *last_chunk;
    size_t last_chunk_len;
    text_buf last_raw;
    int last_raw_pending; /* last_raw holds the last chunk, not parsed yet */

    /* the fast path (chunk_scan.c) */
    int fast_path;       /* on unless switched off (tests, fuzzing) */
    text_buf scratch;    /* the decoded strings of the chunk at hand */
    uint64_t fast_chunks, tree_chunks;

    /* the materialised result of chat and completions, rebuilt when dirty */
    oai_value *result;
    int result_dirty;
};

/* The event being processed: what every oai_event of it shares. */
typedef struct feed_ctx {
    const char *name;
    const char *data;
    size_t len;
    const oai_value *json;
    oai_value **lazy; /* fast path: where the data's JSON is parsed on demand */
} feed_ctx;

/* ------------------------------------------------------------------------ */
/* Small helpers */

/* Makes room for n more bytes and the NUL; -1 when memory ran out. */
static int buf_reserve(text_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + n + 1;
    if (need > b->cap) {
        cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        p = oai__realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    return 0;
}

static int buf_append(text_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void buf_free(text_buf *b)
{
    oai__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static const char *buf_text(const text_buf *b)
{
    return b->p ? b->p : "";
}

/* Takes a reference to @p v (a value of a parsed chunk, or NULL) in place of
 * the slot's. The const cast only touches the reference count. */
static void replace_value(oai_value **slot, const oai_value *v)
{
    oai_value *old = *slot;
    *slot = v ? oai__json_incref((oai_value *)v) : NULL;
    oai__json_decref(old);
}

/* Sets obj[key] = v (stolen), clearing *ok on failure (v NULL included). */
static void put(oai_value *obj, const char *key, oai_value *v, int *ok)
{
    if (oai__json_object_set(obj, key, v) != OAI_OK)
        *ok = 0;
}

static void push(oai_value *arr, oai_value *v, int *ok)
{
    if (oai__json_array_append(arr, v) != OAI_OK)
        *ok = 0;
}

static oai_value *ref_or(oai_value *v, oai_value *fallback)
{
    if (v) {
        oai__json_decref(fallback);
        return oai__json_incref(v);
    }
    return fallback;
}

static const oai_value *member(const oai_value *obj, const char *key)
{
    return oai__json_object_get(obj, key);
}

/* The member if it is a string, else NULL. */
static const oai_value *string_member(const oai_value *obj, const char *key)
{
    const oai_value *v = member(obj, key);
    return oai_value_type_of(v) == OAI_VALUE_STRING ? v : NULL;
}

static const oai_value *object_member(const oai_value *obj, const char *key)
{
    const oai_value *v = member(obj, key);
    return oai_value_type_of(v) == OAI_VALUE_OBJECT ? v : NULL;
}

static int string_is(const oai_value *v, const char *want)
{
    const char *s = oai_value_string(v);
    return s && strcmp(s, want) == 0;
}

static int is_nonempty_string(const oai_value *v)
{
    return oai_value_type_of(v) == OAI_VALUE_STRING && oai_value_string_len(v) > 0;
}

/* The integer when it is in [0, INT_MAX], else -1. */
static int small_int(int64_t i)
{
    return i >= 0 && i <= INT_MAX ? (int)i : -1;
}

/* The value's integer when it is an integer in [0, INT_MAX], else -1. */
static int small_index(const oai_value *v)
{
    if (oai_value_type_of(v) != OAI_VALUE_INT)
        return -1;
    return small_int(oai_value_int(v));
}

/* A string member as the accumulator sees it, from either path: its text
 * (NUL-terminated; NULL when absent or not a string) and, from the tree,
 * the value itself, which is referenced rather than copied when kept. */
typedef struct str_part {
    const char *p;
    size_t len;
    const oai_value *v;
} str_part;

/* From the tree: @p v is a string value or NULL. */
static str_part tree_str(const oai_value *v)
{
    str_part sp;
    sp.p = oai_value_string(v);
    sp.len = oai_value_string_len(v);
    sp.v = sp.p ? v : NULL;
    return sp;
}

static str_part scan_str(oai__scan_str f)
{
    str_part sp;
    sp.p = f.p;
    sp.len = f.len;
    sp.v = NULL;
    return sp;
}

static int part_nonempty(const str_part *sp)
{
    return sp->p && sp->len > 0;
}

/* Keeps a present string in *slot: a reference to the tree's value, or a new
 * value made from the fast path's text. -1 when memory ran out. */
static int keep_string(oai_value **slot, const str_part *sp)
{
    oai_value *v;

    if (sp->v) {
        replace_value(slot, sp->v);
        return 0;
    }
    v = oai__json_string(sp->p, sp->len);
    if (!v)
        return -1;
    oai__json_decref(*slot);
    *slot = v;
    return 0;
}

/* keep_string() for what chunks repeat (role, system_fingerprint): from the
 * fast path, an equal string already kept stays, so no chunk allocates for
 * it. The result is the same either way. */
static int keep_repeated_string(oai_value **slot, const str_part *sp)
{
    if (!sp->v && *slot && oai_value_string_len(*slot) == sp->len &&
        memcmp(oai_value_string(*slot), sp->p, sp->len) == 0)
        return 0;
    return keep_string(slot, sp);
}

/* An error code that looks like an HTTP status (400-599) maps like one;
 * anything else is OAI_ERR_API. */
static oai_status status_from_error_code(const oai_value *code)
{
    int64_t c = oai_value_type_of(code) == OAI_VALUE_INT ? oai_value_int(code) : 0;
    return c >= 400 && c <= 599 ? oai__status_from_http((int)c) : OAI_ERR_API;
}

/* ------------------------------------------------------------------------ */
/* Ending the stream */

/* Records the first failure; the stream is over from then on. */
static oai_status fail(oai_stream *s, oai_status status, const char *message)
{
    if (s->status == OAI_OK && !s->completed) {
        s->status = status;
        s->static_message = message;
    }
    s->done = 1;
    return s->status;
}

static oai_status fail_oom(oai_stream *s)
{
    return fail(s, OAI_ERR_OUT_OF_MEMORY, "out of memory");
}

/* Counts n more accumulated bytes against the limit; 0 when they fit, else
 * the stream fails with OAI_ERR_TOO_LARGE. */
static int charge(oai_stream *s, size_t n)
{
    if (s->max_bytes > 0 && (n > (uint64_t)s->max_bytes || s->held > s->max_bytes - (int64_t)n)) {
        fail(s, OAI_ERR_TOO_LARGE, "the accumulated stream exceeds the maximum response size");
        return -1;
    }
    s->held += (int64_t)n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Events */

static void event_init(oai_event *ev, int type, const feed_ctx *c)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->tool_index = -1;
    if (c) {
        ev->name = c->name;
        ev->data = c->data;
        ev->data_len = c->len;
        ev->json = c->json;
        ev->lazy = c->json ? NULL : c->lazy;
    }
}

static void event_set_text(oai_event *ev, const oai_value *text)
{
    ev->text = oai_value_string(text);
    ev->text_len = oai_value_string_len(text);
}

/* Delivers an event; a non-zero answer from the callback cancels. */
static oai_status emit(oai_stream *s, const oai_event *ev)
{
    if (s->fn && s->fn(s->userdata, ev) != 0)
        return fail(s, OAI_ERR_CANCELLED, "cancelled by the event callback");
    return s->status;
}

/* ------------------------------------------------------------------------ */
/* Copies of events (the pull API queues them) */

/* Copies `len` bytes of `src` (NULL stays NULL) to *at, NUL-terminated. */
static const char *copy_into(char **at, const char *src, size_t len)
{
    char *dst = *at;
    if (!src)
        return NULL;
    memcpy(dst, src, len);
    dst[len] = '\0';
    *at += len + 1;
    return dst;
}

static size_t len_of(const char *s)
{
    return s ? strlen(s) : 0;
}

/* The bytes a copy holds: the struct and its strings. The JSON tree is not
 * counted (it is shared with the chunk, or built later from the data), so
 * the size is the same before and after the tree is built. */
size_t oai__event_size(const oai_event *ev)
{
    size_t text = ev->text ? ev->text_len + 1 : 0, data = ev->data ? ev->data_len + 1 : 0;
    size_t id = ev->tool_id ? len_of(ev->tool_id) + 1 : 0, tool = ev->tool_name ? len_of(ev->tool_name) + 1 : 0;
    size_t name = ev->name ? len_of(ev->name) + 1 : 0;
    return sizeof(oai_event) + text + data + id + tool + name;
}

int oai__event_emit_json(int type, const oai_value *json, int (*fn)(void *ud, const oai_event *ev), void *ud)
{
    oai_event ev;
    event_init(&ev, type, NULL);
    ev.json = json;
    return fn(ud, &ev);
}

oai_event *oai__event_dup(const oai_event *ev, size_t *bytes)
{
    size_t total = oai__event_size(ev);
    oai_event *copy = oai__malloc(total);
    char *at;
    if (!copy)
        return NULL;
    *copy = *ev;
    at = (char *)(copy + 1);
    copy->text = copy_into(&at, ev->text, ev->text_len);
    copy->data = copy_into(&at, ev->data, ev->data_len);
    copy->tool_id = copy_into(&at, ev->tool_id, len_of(ev->tool_id));
    copy->tool_name = copy_into(&at, ev->tool_name, len_of(ev->tool_name));
    copy->name = copy_into(&at, ev->name, len_of(ev->name));
    copy->json = ev->json ? oai__json_incref((oai_value *)ev->json) : NULL;
    copy->own_json = NULL;
    copy->lazy = NULL;
    if (!ev->json && ev->lazy) {
        /* A fast-path event: share the tree when it was built already,
         * otherwise the copy builds its own from its copy of the data,
         * when asked. */
        if (*ev->lazy)
            copy->json = oai__json_incref(*ev->lazy);
        else
            copy->lazy = &copy->own_json;
    }
    if (bytes)
        *bytes = total;
    return copy;
}

void oai__event_free(oai_event *ev)
{
    if (!ev)
        return;
    oai__json_decref((oai_value *)ev->json);
    oai__json_decref(ev->own_json);
    oai__free(ev);
}

/* The normal end: one DONE event, whatever way the end was reached. */
static oai_status complete(oai_stream *s, const feed_ctx *c)
{
    oai_event ev;

    s->completed = 1;
    s->done = 1;
    event_init(&ev, OAI_EVENT_DONE, c);
    if (s->fn)
        s->fn(s->userdata, &ev); /* the stream is over: nothing left to cancel */
    return s->status;
}

/* ------------------------------------------------------------------------ */
/* Server errors */

/* Builds {"message","type","code","param"} from an error object (nested or
 * flat), keeping code as the server sent it (string or number). */
static oai_value *normalise_error(const oai_value *err, int flat, const char *message)
{
    oai_value *out = oai__json_object();
    const oai_value *type = string_member(err, "type");
    int ok = out != NULL;

    /* In a flat Responses `error` event, "type":"error" names the event, not
     * the error's class. */
    if (flat && string_is(type, "error"))
        type = NULL;
    if (!ok)
        return NULL;
    put(out, "message", oai__json_string(message, strlen(message)), &ok);
    put(out, "type", ref_or((oai_value *)type, oai__json_null()), &ok);
    put(out, "code", ref_or((oai_value *)member(err, "code"), oai__json_null()), &ok);
    put(out, "param", ref_or((oai_value *)member(err, "param"), oai__json_null()), &ok);
    if (!ok) {
        oai__json_decref(out);
        return NULL;
    }
    return out;
}

/* Ends the stream with the server's error: an ERROR event first, then the
 * status. @p err is the error object (nested or flat), possibly NULL. */
static oai_status raise_server_error(oai_stream *s, const feed_ctx *c, const oai_value *err,
                                     int flat, const char *fallback_message)
{
    const char *message = oai_value_get_string(err, "/message");
    oai_status status = status_from_error_code(member(err, "code"));
    oai_event ev;

    if (!message || !*message)
        message = fallback_message;
    if (s->status != OAI_OK || s->completed)
        return s->status;
    s->owned_message = oai__malloc(strlen(message) + 1);
    if (s->owned_message)
        memcpy(s->owned_message, message, strlen(message) + 1);
    s->error = normalise_error(err, flat, message);
    if (!s->owned_message || !s->error) {
        oai__free(s->owned_message);
        s->owned_message = NULL;
        oai__json_decref(s->error);
        s->error = NULL;
        return fail_oom(s);
    }
    event_init(&ev, OAI_EVENT_ERROR, c);
    ev.text = s->owned_message;
    ev.text_len = strlen(s->owned_message);
    ev.error_status = status;
    if (s->fn)
        s->fn(s->userdata, &ev); /* the stream ends with the error regardless */
    return fail(s, status, NULL);
}

/* Is this payload an error: `event: error`, a top-level `error` member,
 * `object: "error"` (vLLM's flat body) or `type: "error"` (Responses)? */
static int is_error_payload(const feed_ctx *c)
{
    const oai_value *err = member(c->json, "error");
    int t = oai_value_type_of(err);

    if (c->name && strcmp(c->name, "error") == 0)
        return 1;
    if (t == OAI_VALUE_OBJECT || t == OAI_VALUE_STRING)
        return 1;
    return string_is(member(c->json, "object"), "error") ||
           string_is(member(c->json, "type"), "error");
}

static oai_status on_error_payload(oai_stream *s, const feed_ctx *c)
{
    const oai_value *nested = member(c->json, "error");

    if (oai_value_type_of(nested) == OAI_VALUE_OBJECT)
        return raise_server_error(s, c, nested, 0, "the server streamed an error");
    if (is_nonempty_string(nested))
        return raise_server_error(s, c, NULL, 0, oai_value_string(nested));
    return raise_server_error(s, c, c->json, 1, "the server streamed an error");
}

/* ------------------------------------------------------------------------ */
/* Chat and completions: accumulator state */

static choice_acc *choice_at(oai_stream *s, int index)
{
    size_t need = (size_t)index + 1, i;
    choice_acc *grown;

    if (need > s->nchoices) {
        grown = oai__realloc(s->choices, need * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + s->nchoices, 0, (need - s->nchoices) * sizeof(*grown));
        for (i = s->nchoices; i < need; i++)
            grown[i].last_tool = -1;
        s->choices = grown;
        s->nchoices = need;
    }
    return &s->choices[index];
}

static tool_acc *tool_at(choice_acc *ch, int index)
{
    size_t need = (size_t)index + 1;
    tool_acc *grown;

    if (need > ch->ntools) {
        grown = oai__realloc(ch->tools, need * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + ch->ntools, 0, (need - ch->ntools) * sizeof(*grown));
        ch->tools = grown;
        ch->ntools = need;
    }
    return &ch->tools[index];
}

static void tool_free(tool_acc *t)
{
    oai__json_decref(t->id);
    oai__json_decref(t->type);
    oai__json_decref(t->name);
    buf_free(&t->arguments);
}

static void choice_free(choice_acc *ch)
{
    size_t i;

    for (i = 0; i < ch->ntools; i++)
        tool_free(&ch->tools[i]);
    oai__free(ch->tools);
    oai__json_decref(ch->role);
    oai__json_decref(ch->finish_reason);
    oai__json_decref(ch->logprobs);
    buf_free(&ch->content);
    buf_free(&ch->refusal);
    buf_free(&ch->reasoning);
}

/* id, created and model come from the first chunk that really has them
 * (Azure's content-filter chunks carry "" and 0); system_fingerprint from
 * the last chunk with one; usage from any chunk where it is an object. */
static void note_top_level(oai_stream *s, const oai_value *chunk)
{
    const oai_value *created = member(chunk, "created");
    const oai_value *fp = string_member(chunk, "system_fingerprint");
    const oai_value *usage = object_member(chunk, "usage");

    if (!s->id && is_nonempty_string(member(chunk, "id")))
        replace_value(&s->id, member(chunk, "id"));
    if (!s->model && is_nonempty_string(member(chunk, "model")))
        replace_value(&s->model, member(chunk, "model"));
    if (!s->created && oai_value_type_of(created) == OAI_VALUE_INT && oai_value_int(created) != 0)
        replace_value(&s->created, created);
    if (fp)
        replace_value(&s->fingerprint, fp);
    if (usage)
        replace_value(&s->usage, usage);
}

/* Appends the arrays of a chunk's logprobs (chat: content, refusal;
 * completions: tokens, token_logprobs, top_logprobs, text_offset). */
static oai_status merge_logprobs(choice_acc *ch, const oai_value *lp)
{
    /* Only the arrays the APIs define are merged, each looked up by name:
     * walking every member of a hostile object by index would be
     * quadratic. */
    static const char *const keys[] = {"content", "refusal", "tokens", "token_logprobs", "top_logprobs",
                                       "text_offset"};
    if (!ch->logprobs) {
        ch->logprobs = oai__json_deep_copy(lp);
        return ch->logprobs ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const oai_value *add = oai__json_object_get(lp, keys[i]);
        oai_value *have = oai__json_object_get(ch->logprobs, keys[i]);
        oai_status st;

        if (oai_value_type_of(add) != OAI_VALUE_ARRAY)
            continue;
        if (oai_value_type_of(have) == OAI_VALUE_ARRAY)
            st = oai__json_array_extend(have, add);
        else
            st = oai__json_object_set(ch->logprobs, keys[i], oai__json_deep_copy(add));
        if (st != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    return OAI_OK;
}

/* Appends a text delta to @p buf (when accumulating; NULL: the text is not
 * kept) and delivers it as an event of @p type. Empty deltas (and absent
 * ones, text NULL) deliver nothing. */
static oai_status text_delta(oai_stream *s, const feed_ctx *c, int type, int choice_index,
                             text_buf *buf, const char *text, size_t len, int *emitted)
{
    oai_event ev;

    if (!text || len == 0)
        return s->status;
    if (buf && s->accumulate) {
        if (charge(s, len) != 0)
            return s->status;
        if (buf_append(buf, text, len) != 0)
            return fail_oom(s);
    }
    event_init(&ev, type, c);
    ev.text = text;
    ev.text_len = len;
    ev.choice_index = choice_index;
    (*emitted)++;
    return emit(s, &ev);
}

/* ------------------------------------------------------------------------ */
/* Chat: tool-call deltas. The tree path and the fast path both describe a
 * fragment as a tool_part and share what follows. */

typedef struct tool_part {
    int index;     /* the explicit index when in [0, INT_MAX], else -1 */
    str_part id;   /* present only when a non-empty string */
    str_part type; /* present when a string */
    str_part name; /* present only when a non-empty string */
    const char *args; /* the arguments string, NULL when absent or null */
    size_t args_len;
    const oai_value *args_json; /* tree path: arguments of another type, dumped */
} tool_part;

/* Which tool call a delta belongs to. An explicit index wins. Without one
 * (Ollama sends each whole call in one chunk; Bedrock sends -1), a fragment
 * with a new id or a name starts the next free index, and a bare fragment
 * continues the last call. */
static int tool_index_for(const choice_acc *ch, const tool_part *tp)
{
    size_t i;

    if (tp->index >= 0)
        return tp->index;
    if (tp->id.p) {
        for (i = 0; i < ch->ntools; i++) {
            if (ch->tools[i].id && strcmp(oai_value_string(ch->tools[i].id), tp->id.p) == 0)
                return (int)i;
        }
    }
    if (tp->id.p || tp->name.p || ch->last_tool < 0)
        return ch->ntools > INT_MAX ? INT_MAX : (int)ch->ntools;
    return ch->last_tool;
}

/* Adds a fragment's parts to its tool call: id, type and name once, the
 * arguments concatenated. */
static oai_status merge_tool(oai_stream *s, tool_acc *t, const tool_part *tp, const char *args,
                             size_t args_len)
{
    if ((tp->id.p && !t->id && keep_string(&t->id, &tp->id) != 0) ||
        (tp->type.p && !t->type && keep_string(&t->type, &tp->type) != 0) ||
        (tp->name.p && !t->name && keep_string(&t->name, &tp->name) != 0))
        return fail_oom(s);
    if (args_len && charge(s, args_len) != 0)
        return s->status;
    if (args_len && buf_append(&t->arguments, args, args_len) != 0)
        return fail_oom(s);
    return s->status;
}

static oai_status tool_fragment(oai_stream *s, const feed_ctx *c, choice_acc *ch, int choice_index,
                                const tool_part *tp, int *emitted)
{
    char *dumped = NULL;
    const char *args_text = tp->args;
    size_t args_len = tp->args_len;
    int index = tool_index_for(ch, tp);
    tool_acc *t;
    oai_event ev;

    if (index >= s->max_tool_calls)
        return fail(s, OAI_ERR_PROTOCOL, "too many tool calls in one choice of the stream");
    t = tool_at(ch, index);
    if (!t)
        return fail_oom(s);
    t->seen = 1;
    ch->last_tool = index;
    if (tp->args_json) {
        /* Some servers send the arguments as a JSON object, not a string. */
        dumped = oai__json_dump(tp->args_json, &args_len);
        if (!dumped)
            return fail_oom(s);
        args_text = dumped;
    }
    /* The id is what matches later index-less fragments to this call, so it
     * is kept even when nothing else accumulates. */
    if (!s->accumulate && tp->id.p && !t->id && keep_string(&t->id, &tp->id) != 0) {
        oai__free(dumped);
        return fail_oom(s);
    }
    if (s->accumulate && merge_tool(s, t, tp, args_text, args_len) != OAI_OK) {
        oai__free(dumped);
        return s->status;
    }
    event_init(&ev, OAI_EVENT_TOOL_CALL, c);
    ev.choice_index = choice_index;
    ev.tool_index = index;
    ev.tool_id = tp->id.p;
    ev.tool_name = tp->name.p;
    ev.text = args_text;
    ev.text_len = args_text ? args_len : 0;
    (*emitted)++;
    emit(s, &ev);
    oai__free(dumped);
    return s->status;
}

/* A tool-call delta of the tree. */
static oai_status tool_delta(oai_stream *s, const feed_ctx *c, choice_acc *ch, int choice_index,
                             const oai_value *delta, int *emitted)
{
    const oai_value *fn = object_member(delta, "function");
    const oai_value *id = member(delta, "id"), *name = member(fn, "name");
    const oai_value *args = member(fn, "arguments");
    tool_part tp;

    tp.index = small_index(member(delta, "index"));
    tp.id = tree_str(is_nonempty_string(id) ? id : NULL);
    tp.type = tree_str(string_member(delta, "type"));
    tp.name = tree_str(is_nonempty_string(name) ? name : NULL);
    tp.args = oai_value_string(args);
    tp.args_len = oai_value_string_len(args);
    tp.args_json = args && !tp.args && oai_value_type_of(args) != OAI_VALUE_NULL ? args : NULL;
    return tool_fragment(s, c, ch, choice_index, &tp, emitted);
}

/* ------------------------------------------------------------------------ */
/* Chat and completions: one choice of a chunk, shared by both paths */

/* The text members of a chat delta. */
typedef struct delta_part {
    str_part role, reasoning, content, refusal;
} delta_part;

static oai_status delta_texts(oai_stream *s, const feed_ctx *c, choice_acc *ch, int index,
                              const delta_part *d, int *emitted)
{
    if (d->role.p && s->accumulate && keep_repeated_string(&ch->role, &d->role) != 0)
        return fail_oom(s);
    ch->has_content |= d->content.p != NULL;
    ch->has_reasoning |= part_nonempty(&d->reasoning);
    ch->has_refusal |= part_nonempty(&d->refusal);
    if (text_delta(s, c, OAI_EVENT_REASONING, index, &ch->reasoning, d->reasoning.p, d->reasoning.len,
                   emitted) != OAI_OK ||
        text_delta(s, c, OAI_EVENT_TEXT, index, &ch->content, d->content.p, d->content.len, emitted) != OAI_OK ||
        text_delta(s, c, OAI_EVENT_REFUSAL, index, &ch->refusal, d->refusal.p, d->refusal.len, emitted) != OAI_OK)
        return s->status;
    return s->status;
}

/* The start of a choice: its index (an integer "index" member, else its
 * position), its limits and its finish reason. NULL when the stream failed. */
static choice_acc *choice_begin(oai_stream *s, int index_is_int, int index, size_t position,
                                const str_part *finish)
{
    choice_acc *ch;

    if (!index_is_int) /* no usable index: its position */
        index = position > INT_MAX ? INT_MAX : (int)position;
    if (index < 0) {
        fail(s, OAI_ERR_PROTOCOL, "a negative choice index in the stream");
        return NULL;
    }
    if (index >= s->max_choices) {
        fail(s, OAI_ERR_PROTOCOL, "too many choices in the stream");
        return NULL;
    }
    ch = choice_at(s, index);
    if (!ch) {
        fail_oom(s);
        return NULL;
    }
    ch->seen = 1;
    if (finish->p) {
        ch->finished = 1;
        if (s->accumulate && keep_string(&ch->finish_reason, finish) != 0) {
            fail_oom(s);
            return NULL;
        }
    }
    return ch;
}

/* The end of every chunk: USAGE when it has a usage object, otherwise OTHER
 * when it produced no event, so the caller sees every chunk. */
static oai_status chunk_end(oai_stream *s, const feed_ctx *c, int has_usage, int emitted, int first_index)
{
    oai_event ev;

    if (s->status != OAI_OK)
        return s->status;
    event_init(&ev, OAI_EVENT_USAGE, c);
    if (!has_usage) {
        if (emitted)
            return s->status;
        ev.type = OAI_EVENT_OTHER;
        ev.choice_index = first_index;
    }
    return emit(s, &ev);
}

/* ------------------------------------------------------------------------ */
/* The tree path */

static oai_status chat_delta(oai_stream *s, const feed_ctx *c, choice_acc *ch, int index,
                             const oai_value *delta, int *emitted)
{
    const oai_value *reasoning = string_member(delta, "reasoning_content");
    const oai_value *tools = member(delta, "tool_calls");
    delta_part d;
    size_t i;

    if (!reasoning)
        reasoning = string_member(delta, "reasoning");
    d.role = tree_str(string_member(delta, "role"));
    d.reasoning = tree_str(reasoning);
    d.content = tree_str(string_member(delta, "content"));
    d.refusal = tree_str(string_member(delta, "refusal"));
    if (delta_texts(s, c, ch, index, &d, emitted) != OAI_OK)
        return s->status;
    for (i = 0; i < oai__json_array_size(tools) && s->status == OAI_OK; i++) {
        const oai_value *tc = oai__json_array_get(tools, i);
        if (oai_value_type_of(tc) == OAI_VALUE_OBJECT)
            tool_delta(s, c, ch, index, tc, emitted);
    }
    return s->status;
}

static oai_status on_choice(oai_stream *s, const feed_ctx *c, const oai_value *choice,
                            size_t position, int *emitted)
{
    const oai_value *idx = member(choice, "index");
    str_part finish = tree_str(string_member(choice, "finish_reason"));
    const oai_value *lp = object_member(choice, "logprobs");
    str_part text;
    choice_acc *ch;
    int index;

    ch = choice_begin(s, oai_value_type_of(idx) == OAI_VALUE_INT, small_index(idx), position, &finish);
    if (!ch)
        return s->status;
    index = (int)(ch - s->choices);
    /* A chunk's logprobs are smaller than its data: charge the data. */
    if (lp && s->accumulate && charge(s, c->len) != 0)
        return s->status;
    if (lp && s->accumulate && merge_logprobs(ch, lp) != OAI_OK)
        return fail_oom(s);
    if (s->kind == OAI_STREAM_CHAT)
        return chat_delta(s, c, ch, index, object_member(choice, "delta"), emitted);
    text = tree_str(string_member(choice, "text"));
    ch->has_content |= text.p != NULL;
    return text_delta(s, c, OAI_EVENT_TEXT, index, &ch->content, text.p, text.len, emitted);
}

static int first_choice_index(const oai_value *choices)
{
    int i = small_index(member(oai__json_array_get(choices, 0), "index"));
    return i < 0 ? 0 : i;
}

/* A chat or completions chunk: deltas per choice, then usage; a chunk that
 * produced neither is delivered as OTHER, so the caller sees every chunk. */
static oai_status on_chunk(oai_stream *s, const feed_ctx *c)
{
    const oai_value *choices = member(c->json, "choices");
    const oai_value *usage = object_member(c->json, "usage");
    int emitted = 0;
    size_t i;

    if (s->accumulate)
        note_top_level(s, c->json);
    s->result_dirty = 1;
    for (i = 0; i < oai__json_array_size(choices) && s->status == OAI_OK; i++) {
        const oai_value *choice = oai__json_array_get(choices, i);
        if (oai_value_type_of(choice) == OAI_VALUE_OBJECT)
            on_choice(s, c, choice, i, &emitted);
    }
    return chunk_end(s, c, usage != NULL, emitted, first_choice_index(choices));
}

/* ------------------------------------------------------------------------ */
/* The fast path: the same, from what chunk_scan.c read */

/* note_top_level() for a scanned chunk (which never has a usage object). */
static int scan_note_top_level(oai_stream *s, const oai__scan_chunk *k)
{
    str_part id = scan_str(k->id), model = scan_str(k->model), fp = scan_str(k->system_fingerprint);

    if (!s->id && part_nonempty(&id) && keep_string(&s->id, &id) != 0)
        return -1;
    if (!s->model && part_nonempty(&model) && keep_string(&s->model, &model) != 0)
        return -1;
    if (!s->created && k->created.is_int && k->created.value != 0) {
        s->created = oai__json_int(k->created.value);
        if (!s->created)
            return -1;
    }
    if (fp.p && keep_repeated_string(&s->fingerprint, &fp) != 0)
        return -1;
    return 0;
}

static oai_status scan_choice_apply(oai_stream *s, const feed_ctx *c, const oai__scan_chunk *k,
                                    const oai__scan_choice *sc, int *emitted)
{
    str_part finish = scan_str(sc->finish_reason), text;
    int index = sc->index.is_int ? small_int(sc->index.value) : -1;
    choice_acc *ch = choice_begin(s, sc->index.is_int, index, sc->position, &finish);
    delta_part d;

    if (!ch)
        return s->status;
    index = (int)(ch - s->choices);
    if (s->kind != OAI_STREAM_CHAT) {
        text = scan_str(sc->text);
        ch->has_content |= text.p != NULL;
        return text_delta(s, c, OAI_EVENT_TEXT, index, &ch->content, text.p, text.len, emitted);
    }
    d.role = scan_str(sc->role);
    d.reasoning = scan_str(sc->reasoning_content.p ? sc->reasoning_content : sc->reasoning);
    d.content = scan_str(sc->content);
    d.refusal = scan_str(sc->refusal);
    if (delta_texts(s, c, ch, index, &d, emitted) != OAI_OK)
        return s->status;
    for (int i = 0; i < sc->ntools && s->status == OAI_OK; i++) {
        const oai__scan_tool *st = &k->tools[sc->first_tool + i];
        tool_part tp;
        tp.index = st->index.is_int ? small_int(st->index.value) : -1;
        tp.id = scan_str(st->id);
        tp.type = scan_str(st->type);
        tp.name = scan_str(st->name);
        if (!part_nonempty(&tp.id))
            tp.id.p = NULL;
        if (!part_nonempty(&tp.name))
            tp.name.p = NULL;
        tp.args = st->arguments.p;
        tp.args_len = st->arguments.len;
        tp.args_json = NULL;
        tool_fragment(s, c, ch, index, &tp, emitted);
    }
    return s->status;
}

/* Keeps the raw text of the last chunk when accumulation is off (the
 * result, parsed when asked for). */
static int keep_raw_chunk(oai_stream *s, const feed_ctx *c)
{
    s->last_raw.len = 0;
    if (buf_append(&s->last_raw, c->data, c->len) != 0)
        return -1;
    oai__json_decref(s->last_chunk);
    s->last_chunk = NULL;
    s->last_chunk_len = c->len;
    s->last_raw_pending = 1;
    return 0;
}

static oai_status scan_apply(oai_stream *s, const feed_ctx *c, const oai__scan_chunk *k)
{
    int emitted = 0;

    s->chunks++;
    if (!s->accumulate && keep_raw_chunk(s, c) != 0)
        return fail_oom(s);
    if (s->accumulate && scan_note_top_level(s, k) != 0)
        return fail_oom(s);
    s->result_dirty = 1;
    for (int i = 0; i < k->nchoices && s->status == OAI_OK; i++)
        scan_choice_apply(s, c, k, &k->choices[i], &emitted);
    return chunk_end(s, c, 0, emitted, k->first_choice_index);
}

/* Gives back a buffer one huge chunk made big. */
static void buf_shrink(text_buf *b)
{
    if (b->cap > SHRINK_ABOVE)
        buf_free(b);
}

/* Takes a chat or completions chunk through the fast path: 1 when it did
 * (the stream's status tells how it went), 0 when the chunk needs the full
 * parser. */
static int try_fast_path(oai_stream *s, const char *event, const char *data, size_t len)
{
    oai__scan_chunk k;
    oai_value *parsed = NULL;
    feed_ctx c;

    if (!s->fast_path || s->kind == OAI_STREAM_RESPONSES || (event && strcmp(event, "error") == 0))
        return 0;
    /* The decoded strings are never longer than the text. */
    s->scratch.len = 0;
    if (len > SIZE_MAX - OAI__SCAN_SLACK || buf_reserve(&s->scratch, len + OAI__SCAN_SLACK) != 0)
        return 0; /* out of memory: the full parser will say so */
    if (!oai__chunk_scan(data, len, s->kind == OAI_STREAM_CHAT, s->scratch.p, &k)) {
        buf_shrink(&s->scratch);
        return 0;
    }
    s->fast_chunks++;
    c.name = event;
    c.data = data;
    c.len = len;
    c.json = NULL;
    c.lazy = &parsed; /* events parse the data only when asked */
    scan_apply(s, &c, &k);
    oai__json_decref(parsed);
    buf_shrink(&s->scratch);
    buf_shrink(&s->last_raw);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Responses API */

static resp_call *find_call(oai_stream *s, int64_t output_index)
{
    size_t i;

    for (i = 0; i < s->ncalls; i++) {
        if (s->calls[i].output_index == output_index)
            return &s->calls[i];
    }
    return NULL;
}

/* Remembers a function call's id and name, so the argument deltas that
 * follow can carry them. */
static oai_status note_output_item(oai_stream *s, const feed_ctx *c)
{
    const oai_value *item = object_member(c->json, "item");
    const oai_value *id = string_member(item, "call_id");
    int64_t output_index = oai_value_get_int(c->json, "/output_index");
    resp_call *call, *grown;

    if (!string_is(member(item, "type"), "function_call"))
        return s->status;
    if (!id)
        id = string_member(item, "id");
    call = find_call(s, output_index);
    if (!call) {
        if (s->ncalls >= (size_t)s->max_tool_calls)
            return fail(s, OAI_ERR_PROTOCOL, "too many function calls in the stream");
        grown = oai__realloc(s->calls, (s->ncalls + 1) * sizeof(*grown));
        if (!grown)
            return fail_oom(s);
        s->calls = grown;
        call = &s->calls[s->ncalls++];
        memset(call, 0, sizeof(*call));
        call->output_index = output_index;
    }
    replace_value(&call->id, id);
    replace_value(&call->name, string_member(item, "name"));
    return s->status;
}

static int output_index_of(const feed_ctx *c)
{
    int i = small_index(member(c->json, "output_index"));
    return i < 0 ? 0 : i;
}

static oai_status response_text_delta(oai_stream *s, const feed_ctx *c, int type)
{
    const oai_value *delta = string_member(c->json, "delta");
    int emitted = 0;

    /* Only output text is kept, for oai_stream_text(); the final response
     * carries refusals and reasoning. */
    if (type != OAI_EVENT_TEXT)
        return text_delta(s, c, type, output_index_of(c), NULL, oai_value_string(delta),
                          oai_value_string_len(delta), &emitted);
    if (delta)
        s->has_output_text = 1;
    return text_delta(s, c, type, output_index_of(c), &s->output_text, oai_value_string(delta),
                      oai_value_string_len(delta), &emitted);
}

static oai_status response_arguments_delta(oai_stream *s, const feed_ctx *c)
{
    const oai_value *delta = string_member(c->json, "delta");
    int index = output_index_of(c);
    const resp_call *call = find_call(s, index);
    oai_event ev;

    event_init(&ev, OAI_EVENT_TOOL_CALL, c);
    event_set_text(&ev, delta);
    ev.choice_index = index;
    ev.tool_index = index;
    if (call) {
        ev.tool_id = oai_value_string(call->id);
        ev.tool_name = oai_value_string(call->name);
    }
    return emit(s, &ev);
}

/* Replaces the accumulated output text with the final response's, the
 * concatenated `output_text` parts of its `message` items. */
static oai_status take_final_output_text(oai_stream *s, const oai_value *response)
{
    const oai_value *output = member(response, "output");
    text_buf text = {0};
    int found = 0;
    size_t i, j;

    for (i = 0; i < oai__json_array_size(output); i++) {
        const oai_value *item = oai__json_array_get(output, i);
        const oai_value *parts = member(item, "content");
        if (!string_is(member(item, "type"), "message"))
            continue;
        for (j = 0; j < oai__json_array_size(parts); j++) {
            const oai_value *part = oai__json_array_get(parts, j);
            const oai_value *t = string_member(part, "text");
            if (!string_is(member(part, "type"), "output_text") || !t)
                continue;
            found = 1;
            if (buf_append(&text, oai_value_string(t), oai_value_string_len(t)) != 0) {
                buf_free(&text);
                return fail_oom(s);
            }
        }
    }
    if (found) {
        buf_free(&s->output_text);
        s->output_text = text;
        s->has_output_text = 1;
    }
    return s->status;
}

/* response.completed / response.incomplete: the response is the result;
 * USAGE (if any) then DONE. */
static oai_status response_finished(oai_stream *s, const feed_ctx *c)
{
    const oai_value *response = object_member(c->json, "response");
    feed_ctx usage_ctx = *c;
    oai_event ev;

    if (response && s->accumulate) {
        replace_value(&s->response, response);
        if (take_final_output_text(s, response) != OAI_OK)
            return s->status;
    }
    if (object_member(response, "usage")) {
        /* The event's JSON is the response, so "/usage/total_tokens" reads
         * the same as for a chat chunk. */
        usage_ctx.json = response;
        event_init(&ev, OAI_EVENT_USAGE, &usage_ctx);
        if (emit(s, &ev) != OAI_OK)
            return s->status;
    }
    return complete(s, c);
}

static oai_status response_failed(oai_stream *s, const feed_ctx *c)
{
    const oai_value *response = object_member(c->json, "response");
    const oai_value *err = object_member(response, "error");

    if (response && s->accumulate)
        replace_value(&s->response, response);
    return raise_server_error(s, c, err, 0, "the response failed");
}

static oai_status on_response_event(oai_stream *s, const feed_ctx *c)
{
    const char *type = c->name ? c->name : oai_value_string(member(c->json, "type"));
    oai_event ev;

    if (!type)
        type = "";
    if (strcmp(type, "response.output_text.delta") == 0)
        return response_text_delta(s, c, OAI_EVENT_TEXT);
    if (strcmp(type, "response.refusal.delta") == 0)
        return response_text_delta(s, c, OAI_EVENT_REFUSAL);
    if (strcmp(type, "response.reasoning_summary_text.delta") == 0 ||
        strcmp(type, "response.reasoning_text.delta") == 0)
        return response_text_delta(s, c, OAI_EVENT_REASONING);
    if (strcmp(type, "response.function_call_arguments.delta") == 0)
        return response_arguments_delta(s, c);
    if (strcmp(type, "response.completed") == 0 || strcmp(type, "response.incomplete") == 0)
        return response_finished(s, c);
    if (strcmp(type, "response.failed") == 0)
        return response_failed(s, c);
    if (strcmp(type, "response.output_item.added") == 0 && note_output_item(s, c) != OAI_OK)
        return s->status;
    if (strncmp(type, "response.", 9) == 0 && object_member(c->json, "response") && s->accumulate)
        replace_value(&s->response, object_member(c->json, "response")); /* created, in_progress */
    event_init(&ev, OAI_EVENT_OTHER, c);
    ev.choice_index = output_index_of(c);
    return emit(s, &ev);
}

/* ------------------------------------------------------------------------ */
/* Feeding */

/* Empty or all-white-space data is a keep-alive, not a chunk. */
static int is_keepalive(const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
            return 0;
    }
    return 1;
}

static oai_status on_json_payload(oai_stream *s, const feed_ctx *c)
{
    if (is_error_payload(c))
        return on_error_payload(s, c);
    if (oai_value_type_of(c->json) != OAI_VALUE_OBJECT)
        return fail(s, OAI_ERR_PROTOCOL, "a stream event's data is not a JSON object");
    s->chunks++;
    if (!s->accumulate) {
        replace_value(&s->last_chunk, c->json);
        s->last_chunk_len = c->len;
        s->last_raw_pending = 0;
    }
    if (s->kind == OAI_STREAM_RESPONSES)
        return on_response_event(s, c);
    return on_chunk(s, c);
}

/** Feeds one decoded SSE event; see oai.h. */
OAI_API oai_status oai_stream_feed_event(oai_stream *s, const char *event, const char *data, size_t len)
{
    feed_ctx c;
    oai_value *json;
    oai_status st;

    if (!s || (!data && len))
        return OAI_ERR_INVALID_ARGUMENT;
    s->fed = 1;
    if (s->done || is_keepalive(data, len))
        return s->status;
    c.name = event;
    c.data = data;
    c.len = len;
    c.json = NULL;
    c.lazy = NULL;
    if (len == DONE_SENTINEL_LEN && memcmp(data, DONE_SENTINEL, len) == 0)
        return complete(s, &c);
    if (len > DONE_SENTINEL_LEN && memcmp(data, DONE_SENTINEL, DONE_SENTINEL_LEN) == 0)
        return fail(s, OAI_ERR_PROTOCOL, "the stream sent data after [DONE]");
    if (try_fast_path(s, event, data, len))
        return s->status;
    s->tree_chunks++;
    json = oai__json_parse(data, len, &st);
    if (!json && st == OAI_ERR_OUT_OF_MEMORY)
        return fail_oom(s);
    if (!json && event && strcmp(event, "error") == 0)
        return raise_server_error(s, &c, NULL, 0, "the server sent an error event without a JSON body");
    /* A server that stops mid-event leaves a fragment for finish to flush. */
    if (!json && s->finishing)
        return fail(s, OAI_ERR_PROTOCOL, "the stream ended before completion (its last event was cut off)");
    if (!json) /* the payload is not echoed: it may be huge, or sensitive */
        return fail(s, OAI_ERR_PROTOCOL, "a stream event's data is not valid JSON");
    c.json = json;
    on_json_payload(s, &c);
    oai__json_decref(json);
    return s->status;
}

/* The built-in decoder's event callback: stop decoding once the stream is
 * over, so nothing after [DONE] or an error is parsed. */
static int on_sse_event(void *userdata, const char *event, const char *data, size_t len, const char *id)
{
    oai_stream *s = userdata;

    (void)id;
    oai_stream_feed_event(s, event, data, len);
    return s->done;
}

/* Old llama.cpp servers report a mid-stream failure as an `error: {...}`
 * SSE line, a field the WHATWG rules ignore. Treat it as the error it is. */
static int on_sse_field(void *userdata, const char *name, size_t name_len, const char *value,
                        size_t value_len)
{
    oai_stream *s = userdata;
    feed_ctx c = {NULL, NULL, 0, NULL, NULL};
    char *text;
    oai_value *json;
    oai_status st;

    if (name_len != 5 || memcmp(name, "error", 5) != 0 || s->done)
        return s->done;
    /* The event's data is the line's value, NUL-terminated like any data. */
    text = oai__malloc(value_len + 1);
    if (!text) {
        fail_oom(s);
        return 1;
    }
    memcpy(text, value, value_len);
    text[value_len] = '\0';
    c.data = text;
    c.len = value_len;
    json = oai__json_parse(text, value_len, &st);
    c.json = json;
    if (oai_value_type_of(json) == OAI_VALUE_OBJECT)
        on_error_payload(s, &c);
    else if (st == OAI_ERR_OUT_OF_MEMORY)
        fail_oom(s);
    else
        raise_server_error(s, &c, NULL, 0, "the server sent an error line");
    oai__json_decref(json);
    oai__free(text);
    return 1;
}

/* Maps the built-in decoder's status after a feed or finish. */
static oai_status after_decode(oai_stream *s, oai_status st)
{
    if (st == OAI_OK || st == OAI_ERR_CANCELLED) /* CANCELLED: we stopped it */
        return s->status;
    if (st == OAI_ERR_PROTOCOL)
        return fail(s, OAI_ERR_PROTOCOL, "a stream event exceeds the size limit");
    if (st == OAI_ERR_OUT_OF_MEMORY)
        return fail_oom(s);
    return fail(s, st, "the event-stream decoder failed");
}

/** Feeds raw event-stream bytes; see oai.h. */
OAI_API oai_status oai_stream_feed(oai_stream *s, const char *bytes, size_t len)
{
    if (!s || (!bytes && len))
        return OAI_ERR_INVALID_ARGUMENT;
    s->fed = 1;
    if (s->done)
        return s->status;
    return after_decode(s, oai_sse_feed(s->sse, bytes, len));
}

/* Did every choice seen get its finish reason? */
static int all_choices_finished(const oai_stream *s)
{
    size_t i, seen = 0;

    for (i = 0; i < s->nchoices; i++) {
        if (!s->choices[i].seen)
            continue;
        if (!s->choices[i].finished)
            return 0;
        seen++;
    }
    return seen > 0;
}

/** Ends the input; see oai.h. */
OAI_API oai_status oai_stream_finish(oai_stream *s)
{
    if (!s)
        return OAI_ERR_INVALID_ARGUMENT;
    s->finishing = 1;
    oai_status st = s->done ? s->status : after_decode(s, oai_sse_finish(s->sse));
    s->finishing = 0;
    if (st != OAI_OK)
        return s->status;
    if (s->done)
        return s->status;
    if (s->kind != OAI_STREAM_RESPONSES && all_choices_finished(s))
        return complete(s, NULL);
    return fail(s, OAI_ERR_PROTOCOL, "the stream ended before completion");
}

/* ------------------------------------------------------------------------ */
/* Materialising the result of chat and completions */

static oai_value *buf_json(const text_buf *b)
{
    return oai__json_string(buf_text(b), b->len);
}

static oai_value *build_tool_call(const tool_acc *t, int *ok)
{
    oai_value *call = oai__json_object(), *fn = oai__json_object();

    if (!call || !fn) {
        oai__json_decref(call);
        oai__json_decref(fn);
        *ok = 0;
        return NULL;
    }
    put(call, "id", t->id ? oai__json_incref(t->id) : oai__json_string("", 0), ok);
    put(call, "type", t->type ? oai__json_incref(t->type) : oai__json_string("function", 8), ok);
    put(fn, "name", t->name ? oai__json_incref(t->name) : oai__json_string("", 0), ok);
    put(fn, "arguments", buf_json(&t->arguments), ok);
    put(call, "function", fn, ok);
    return call;
}

static oai_value *build_tool_calls(const choice_acc *ch, int *ok)
{
    oai_value *arr = oai__json_array();
    size_t i;

    if (!arr) {
        *ok = 0;
        return NULL;
    }
    for (i = 0; i < ch->ntools; i++) {
        if (ch->tools[i].seen)
            push(arr, build_tool_call(&ch->tools[i], ok), ok);
    }
    return arr;
}

static int any_tool_seen(const choice_acc *ch)
{
    size_t i;

    for (i = 0; i < ch->ntools; i++) {
        if (ch->tools[i].seen)
            return 1;
    }
    return 0;
}

static oai_value *build_message(const choice_acc *ch, int *ok)
{
    oai_value *msg = oai__json_object();

    if (!msg) {
        *ok = 0;
        return NULL;
    }
    put(msg, "role", ch->role ? oai__json_incref(ch->role) : oai__json_string("assistant", 9), ok);
    /* As a non-streamed answer has it: null beside tool calls or a
     * refusal, otherwise a string, "" when only reasoning arrived. */
    if (ch->has_content || (!ch->has_refusal && !any_tool_seen(ch)))
        put(msg, "content", buf_json(&ch->content), ok);
    else
        put(msg, "content", oai__json_null(), ok);
    if (ch->has_refusal)
        put(msg, "refusal", buf_json(&ch->refusal), ok);
    if (ch->has_reasoning)
        put(msg, "reasoning_content", buf_json(&ch->reasoning), ok);
    if (any_tool_seen(ch))
        put(msg, "tool_calls", build_tool_calls(ch, ok), ok);
    return msg;
}

static oai_value *build_choice(const oai_stream *s, const choice_acc *ch, size_t index, int *ok)
{
    oai_value *out = oai__json_object();

    if (!out) {
        *ok = 0;
        return NULL;
    }
    put(out, "index", oai__json_int((int64_t)index), ok);
    if (s->kind == OAI_STREAM_CHAT) {
        put(out, "message", build_message(ch, ok), ok);
        put(out, "finish_reason", ref_or(ch->finish_reason, oai__json_null()), ok);
        if (ch->logprobs)
            put(out, "logprobs", oai__json_incref(ch->logprobs), ok);
    } else {
        put(out, "text", buf_json(&ch->content), ok);
        put(out, "finish_reason", ref_or(ch->finish_reason, oai__json_null()), ok);
        put(out, "logprobs", ref_or(ch->logprobs, oai__json_null()), ok);
    }
    return out;
}

static oai_value *build_result(const oai_stream *s)
{
    int chat = s->kind == OAI_STREAM_CHAT, ok = 1;
    oai_value *r = oai__json_object(), *choices = oai__json_array();
    size_t i;

    if (!r || !choices) {
        oai__json_decref(r);
        oai__json_decref(choices);
        return NULL;
    }
    put(r, "id", ref_or(s->id, oai__json_null()), &ok);
    put(r, "object", chat ? oai__json_string("chat.completion", 15) : oai__json_string("text_completion", 15), &ok);
    put(r, "created", ref_or(s->created, oai__json_null()), &ok);
    put(r, "model", ref_or(s->model, oai__json_null()), &ok);
    if (chat)
        put(r, "system_fingerprint", ref_or(s->fingerprint, oai__json_null()), &ok);
    for (i = 0; i < s->nchoices; i++) {
        if (s->choices[i].seen)
            push(choices, build_choice(s, &s->choices[i], i, &ok), &ok);
    }
    put(r, "choices", choices, &ok);
    put(r, "usage", ref_or(s->usage, oai__json_null()), &ok);
    if (!ok) {
        oai__json_decref(r);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Public API */

/** Creates an accumulator; see oai.h. */
OAI_API oai_stream *oai_stream_new(int kind, oai_event_fn fn, void *userdata)
{
    oai_stream *s;

    s = oai__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (kind != OAI_STREAM_CHAT && kind != OAI_STREAM_COMPLETION && kind != OAI_STREAM_RESPONSES) {
        /* A failed stream (oai.h, "Errors"): every feed and the finish
         * return its status. */
        s->status = OAI_ERR_INVALID_ARGUMENT;
        s->static_message = "oai_stream_new: unknown stream kind (expected an oai_stream_kind)";
        s->done = 1;
        return s;
    }
    s->sse = oai_sse_new(on_sse_event, s);
    if (!s->sse) {
        oai__free(s);
        return NULL;
    }
    oai__sse_set_field_callback(s->sse, on_sse_field, s);
    s->kind = kind;
    s->fn = fn;
    s->userdata = userdata;
    s->accumulate = 1;
    s->max_choices = DEFAULT_MAX_CHOICES;
    s->max_tool_calls = DEFAULT_MAX_TOOL_CALLS;
    s->max_bytes = DEFAULT_MAX_BYTES;
    s->fast_path = 1;
    return s;
}

/** Frees an accumulator; see oai.h. */
OAI_API void oai_stream_free(oai_stream *s)
{
    size_t i;

    if (!s)
        return;
    oai_sse_free(s->sse);
    oai__free(s->owned_message);
    oai__json_decref(s->error);
    oai__json_decref(s->id);
    oai__json_decref(s->created);
    oai__json_decref(s->model);
    oai__json_decref(s->fingerprint);
    oai__json_decref(s->usage);
    for (i = 0; i < s->nchoices; i++)
        choice_free(&s->choices[i]);
    oai__free(s->choices);
    oai__json_decref(s->response);
    buf_free(&s->output_text);
    for (i = 0; i < s->ncalls; i++) {
        oai__json_decref(s->calls[i].id);
        oai__json_decref(s->calls[i].name);
    }
    oai__free(s->calls);
    oai__json_decref(s->last_chunk);
    buf_free(&s->last_raw);
    buf_free(&s->scratch);
    oai__json_decref(s->result);
    oai__free(s);
}

/** Turns accumulation on or off (before the first feed); see oai.h. */
OAI_API oai_status oai_stream_set_accumulate(oai_stream *s, int enabled)
{
    if (s && !s->kind)
        return s->status; /* a failed stream */
    if (!s || s->fed)
        return OAI_ERR_INVALID_ARGUMENT;
    s->accumulate = enabled != 0;
    return OAI_OK;
}

/** Sets the choice and tool-call limits; see oai.h. */
OAI_API oai_status oai_stream_set_limits(oai_stream *s, int max_choices, int max_tool_calls)
{
    if (s && !s->kind)
        return s->status; /* a failed stream */
    if (!s || max_choices <= 0 || max_tool_calls <= 0)
        return OAI_ERR_INVALID_ARGUMENT;
    s->max_choices = max_choices;
    s->max_tool_calls = max_tool_calls;
    return OAI_OK;
}

/** Sets the accumulation limit; see oai.h. */
OAI_API oai_status oai_stream_set_max_bytes(oai_stream *s, int64_t max_bytes)
{
    if (s && !s->kind)
        return s->status; /* a failed stream */
    if (!s || max_bytes < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    s->max_bytes = max_bytes;
    return OAI_OK;
}

/** Switches the fast path; see stream_internal.h. */
oai_status oai__stream_set_fast_path(oai_stream *s, int enabled)
{
    if (!s)
        return OAI_ERR_INVALID_ARGUMENT;
    s->fast_path = enabled != 0;
    return OAI_OK;
}

/** What took which path; see stream_internal.h. */
void oai__stream_path_counts(const oai_stream *s, uint64_t *fast, uint64_t *tree)
{
    if (fast)
        *fast = s ? s->fast_chunks : 0;
    if (tree)
        *tree = s ? s->tree_chunks : 0;
}

/** Sets the built-in decoder's event size limit; see stream_internal.h. */
oai_status oai__stream_set_max_event_size(oai_stream *s, size_t max_bytes)
{
    if (!s)
        return OAI_ERR_INVALID_ARGUMENT;
    return oai_sse_set_max_event_size(s->sse, max_bytes);
}

/** 1 once the stream ended; see oai.h. */
OAI_API int oai_stream_is_done(const oai_stream *s)
{
    return s ? s->done : 0;
}

/** The accumulated object, or why there is none; see stream_internal.h. */
oai_status oai__stream_get_result(const oai_stream *s, const oai_value **result)
{
    oai_stream *mut = (oai_stream *)s;
    oai_value *fresh;

    *result = NULL;
    if (!s)
        return OAI_ERR_INVALID_ARGUMENT;
    if (!s->accumulate) {
        if (s->last_raw_pending) {
            /* The fast path kept the text; it is valid JSON, so only
             * memory can fail here. */
            oai_status st;
            fresh = oai__json_parse(s->last_raw.p, s->last_raw.len, &st);
            if (!fresh)
                return st == OAI_ERR_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_OK;
            mut->last_chunk = fresh;
            mut->last_raw_pending = 0;
        }
        *result = s->last_chunk;
        return OAI_OK;
    }
    if (s->kind == OAI_STREAM_RESPONSES) {
        *result = s->response;
        return OAI_OK;
    }
    if (s->chunks == 0)
        return OAI_OK;
    if (s->result_dirty || !s->result) {
        /* The result is a cache built from the buffers on demand; building
         * it does not change the stream's observable state. */
        fresh = build_result(s);
        if (!fresh)
            return OAI_ERR_OUT_OF_MEMORY;
        oai__json_decref(mut->result);
        mut->result = fresh;
        mut->result_dirty = 0;
    }
    *result = s->result;
    return OAI_OK;
}

/** The accumulated object; see oai.h. */
OAI_API const oai_value *oai_stream_result(const oai_stream *s)
{
    const oai_value *result;
    oai__stream_get_result(s, &result);
    return result;
}

/** The accumulated text of choice 0 or of the Responses output; see oai.h. */
OAI_API const char *oai_stream_text(const oai_stream *s)
{
    if (!s || !s->accumulate)
        return NULL;
    if (s->kind == OAI_STREAM_RESPONSES)
        return s->has_output_text ? buf_text(&s->output_text) : NULL;
    if (s->nchoices == 0 || !s->choices[0].seen)
        return NULL;
    /* The content of the result (build_message): "" when only reasoning
     * arrived, NULL beside tool calls or a refusal. */
    const choice_acc *ch = &s->choices[0];
    if (!ch->has_content && (ch->has_refusal || any_tool_seen(ch)))
        return NULL;
    return buf_text(&ch->content);
}

/** The stream's status; see oai.h. */
OAI_API oai_status oai_stream_status(const oai_stream *s)
{
    return s ? s->status : OAI_ERR_INVALID_ARGUMENT;
}

/** The server's normalised error object; see oai.h. */
OAI_API const oai_value *oai_stream_error(const oai_stream *s)
{
    return s ? s->error : NULL;
}

/** The error's description; see oai.h. */
OAI_API const char *oai_stream_error_message(const oai_stream *s)
{
    if (!s || s->status == OAI_OK)
        return NULL;
    return s->owned_message ? s->owned_message : s->static_message;
}

/** Bytes held by the accumulator; see stream_internal.h. */
size_t oai__stream_retained_bytes(const oai_stream *s)
{
    size_t total, i, j;

    if (!s)
        return 0;
    total = oai__sse_retained_bytes(s->sse) + s->output_text.cap + s->last_chunk_len +
            s->last_raw.cap + s->scratch.cap + s->nchoices * sizeof(choice_acc) +
            s->ncalls * sizeof(resp_call);
    for (i = 0; i < s->nchoices; i++) {
        const choice_acc *ch = &s->choices[i];
        total += ch->content.cap + ch->refusal.cap + ch->reasoning.cap + ch->ntools * sizeof(tool_acc);
        for (j = 0; j < ch->ntools; j++)
            total += ch->tools[j].arguments.cap;
    }
    return total;
}

/* ------------------------------------------------------------------------ */
/* Event accessors */

/** The event's type; see oai.h. */
OAI_API int oai_event_type_of(const oai_event *ev)
{
    return ev ? ev->type : 0;
}

/** The delta's text; see oai.h. */
OAI_API const char *oai_event_text(const oai_event *ev)
{
    return ev ? ev->text : NULL;
}

/** The length of the delta's text; see oai.h. */
OAI_API size_t oai_event_text_len(const oai_event *ev)
{
    return ev && ev->text ? ev->text_len : 0;
}

/** The choice or output index; see oai.h. */
OAI_API int oai_event_choice_index(const oai_event *ev)
{
    return ev ? ev->choice_index : 0;
}

/** The tool call's index; see oai.h. */
OAI_API int oai_event_tool_index(const oai_event *ev)
{
    return ev ? ev->tool_index : -1;
}

/** The tool call's id; see oai.h. */
OAI_API const char *oai_event_tool_id(const oai_event *ev)
{
    return ev ? ev->tool_id : NULL;
}

/** The tool's function name; see oai.h. */
OAI_API const char *oai_event_tool_name(const oai_event *ev)
{
    return ev ? ev->tool_name : NULL;
}

/** The SSE event name; see oai.h. */
OAI_API const char *oai_event_name(const oai_event *ev)
{
    return ev ? ev->name : NULL;
}

/** The raw data; see oai.h. */
OAI_API const char *oai_event_data(const oai_event *ev)
{
    return ev ? ev->data : NULL;
}

/** The length of the raw data; see oai.h. */
OAI_API size_t oai_event_data_len(const oai_event *ev)
{
    return ev && ev->data ? ev->data_len : 0;
}

/** The parsed data; see oai.h. An event of the fast path parses its data
 * on the first call (NULL if memory runs out) and keeps the tree. */
OAI_API const oai_value *oai_event_json(const oai_event *ev)
{
    if (!ev)
        return NULL;
    if (ev->json || !ev->lazy)
        return ev->json;
    if (!*ev->lazy)
        *ev->lazy = oai__json_parse(ev->data, ev->data_len, NULL);
    return *ev->lazy;
}

/** A string in the event's data; see oai.h. */
OAI_API const char *oai_event_get_string(const oai_event *ev, const char *pointer)
{
    return ev ? oai_value_get_string(oai_event_json(ev), pointer) : NULL;
}

/** An integer in the event's data; see oai.h. */
OAI_API int64_t oai_event_get_int(const oai_event *ev, const char *pointer)
{
    return ev ? oai_value_get_int(oai_event_json(ev), pointer) : 0;
}

/** The error class of an ERROR event; see oai.h. */
OAI_API oai_status oai_event_error_status(const oai_event *ev)
{
    return ev && ev->type == OAI_EVENT_ERROR ? ev->error_status : OAI_OK;
}
