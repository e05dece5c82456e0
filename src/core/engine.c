/* The request engine: its own object inside the client, holding the calls,
 * the transport and the clock.
 *
 * Each call is a state machine with one state and one transition function
 * (set_state(), which the debug log records), stepped by step():
 *
 *   REQUESTING --first body byte--> RECEIVING --[DONE]--> DRAINING
 *        \                              |                    |
 *         +-------- exchange ended, or ended by the engine --+--> CONCLUDING
 *   CONCLUDING --retry--> BACKOFF --timer--> REQUESTING
 *   CONCLUDING --no retry--> DONE            BACKOFF --cancel--> DONE
 *
 * The engine never does I/O: each attempt is one exchange handed to the
 * transport (transport/transport.h). oai_client_send() drives the machine
 * until its call is done; oai_client_start()/oai_client_poll() expose it to
 * polling loops; the socket and timer callbacks with
 * oai_client_socket_action() hand the waiting to the host's event loop.
 * Retries and every timeout are engine timers on the engine's clock, never
 * sleeps, and every callback runs inside the caller's call. */
#include "core/core.h"
#include "core/download.h"
#include "http/multipart.h"
#include "http/url.h"
#include "json/json.h"
#include "stream/stream_internal.h"
#include "util/list.h"

#include <stdlib.h>
#include <string.h>

typedef enum call_state {
    CALL_REQUESTING = 1, /* an exchange is under way; no body byte yet */
    CALL_RECEIVING,      /* body bytes are arriving */
    CALL_DRAINING,       /* the stream is complete; reading the body's end */
    CALL_CONCLUDING,     /* the exchange ended; its outcome is to be decided */
    CALL_BACKOFF,        /* waiting for the retry timer */
    CALL_DONE,           /* the response is final; the done callback is due */
    CALL_WORKING,        /* a workflow's call: its work is other calls */
    CALL_QUEUED          /* its attempt waits for a poll with starts left */
} call_state;

static const char *const state_names[] = {"", "REQUESTING", "RECEIVING", "DRAINING",
                                          "CONCLUDING", "BACKOFF", "DONE", "WORKING", "QUEUED"};

/* Under a poll budget, a poll begins at most budget / START_COST_US
 * exchanges (one at least), so that a host starting a hundred calls at
 * once does not pay for a hundred connections in one frame. The others
 * wait, in the order they came, for the next polls. On loopback one start
 * costs about 40 us to connect and 30 us to send the request, plus the
 * reading of its first answer in the same rounds; with 100 us per start,
 * frames of the 100-stream benchmark (bench/frame.sh) still reached 2.4 ms
 * while the streams began, with 200 us they stay under 2. */
#define START_COST_US 200

/* Where a 2xx body goes: memory (then parsed), the stream accumulator, an
 * output file (through a temporary file), or the caller's data callback. */
typedef enum body_mode { BODY_UNDECIDED = 0, BODY_MEMORY, BODY_STREAM, BODY_FILE, BODY_CALLBACK } body_mode;

/* After [DONE] the rest of the body (usually just the chunked encoding's
 * last chunk) is read so that the connection can be reused; a server that
 * keeps sending, or keeps the body open, gets this much before the
 * exchange is cut. */
#define DRAIN_MAX_BYTES 65536
#define DRAIN_MAX_MS 250

/* The library's own headers; at most LIBRARY_HEADERS of them. */
#define LIBRARY_HEADERS 16

/* A URL the client's calls go to, shared by the calls to the same base URL
 * and path (reference counted): building it through the URL parser costs
 * more than the rest of a call's set-up. The log's form (credentials
 * removed) is made only when a log line needs it. */
typedef struct call_url {
    unsigned refs;
    char *url;
    char *log_url;               /* NULL until logged */
    const char *base, *path;     /* the key, in the same block; NULL: not cached */
} call_url;

/* The client's last URLs (requests without query parameters). */
#define URL_CACHE 4

/* The headers every call of a client sends, formatted once per set of
 * client options (client.c bumps headers_version in every setter that
 * changes them) and shared by the calls started with them (reference
 * counted, so a setter never frees what an attempt under way sends).
 *
 * It is the library's own headers with the client's merged in, exactly as
 * if they were merged per attempt; five headers depend on the call or the
 * attempt (slots), and a client header that replaces one of them takes its
 * place when the call has it and goes at the end when it has not (cond). A
 * request's own headers are merged per attempt, over the result. */
typedef enum header_slot {
    SLOT_NONE = 0,
    SLOT_ACCEPT,          /* always: the stream's type or JSON */
    SLOT_CONTENT_TYPE,    /* with a body: JSON, or the multipart type */
    SLOT_RETRY_COUNT,     /* always (platform headers) */
    SLOT_TIMEOUT,         /* with a request timeout (platform headers) */
    SLOT_IDEMPOTENCY_KEY  /* with a key */
} header_slot;

typedef enum header_cond {
    COND_ALWAYS = 0,
    COND_IF_PRESENT,      /* only when the call has the slot's header */
    COND_IF_ABSENT        /* only when it has not */
} header_cond;

typedef struct header_entry {
    const char *name;
    const char *value;    /* NULL: the slot's value for the attempt */
    unsigned char slot;   /* a header_slot */
    unsigned char cond;   /* a header_cond, about `slot` */
} header_entry;

typedef struct header_set {
    unsigned refs;
    size_t count;
    header_entry entries[]; /* then the strings, in the same block */
} header_set;

/* Streamed bodies and data-callback bodies are handed out from an inbox in
 * process(), under the poll budget, in slices of DRAIN_SLICE bytes taken in
 * turn from every call (so one busy stream cannot starve the others). A
 * call whose inbox holds more than INBOX_HIGH bytes, or whose pull queue
 * holds EVENT_QUEUE_HIGH events, has its exchange paused (back-pressure)
 * until they fall below INBOX_LOW and half the queue. */
#define DRAIN_SLICE 4096
#define INBOX_HIGH 65536
#define INBOX_LOW 16384
#define EVENT_QUEUE_HIGH 1024

struct oai_call {
    oai__engine *engine;
    oai_client *client;
    /* What the call reads of its request after its start: the caller's own
     * for oai_client_send() (const, and the caller waits), else a snapshot
     * (oai__request_snapshot(): no body, no query), owned. */
    const oai_request *req;
    int owns_req;
    oai_done_fn fn;
    void *ud;
    call_state state;
    unsigned long id;            /* numbers the call in the log */

    /* Where the engine keeps it (see struct oai__engine). */
    oai__link all;               /* calls, or finished once handed back */
    oai__link due;               /* due: to step or check at the next pass */
    oai__link ready;             /* ready: inbox bytes to hand out now */
    oai__link done;              /* done: DONE, waiting for its hand-back */
    oai__link working;           /* working: a workflow in CALL_WORKING */
    oai__link queue;             /* queued: CALL_QUEUED */
    size_t heap_pos;             /* 1 + its place in the timer heap; 0: none */
    int64_t timer_at;            /* its key there: timed_deadline() */

    /* Resolved once per call. */
    call_url *url;
    char *body;
    size_t body_len;
    oai__http_part *parts;
    char *idempotency_key;
    header_set *headers;         /* the client's headers at its start */
    int max_retries;
    int64_t timeout_ms, idle_ms, first_byte_ms;
    const char **header_names;   /* room for every header of an attempt (one */
    const char **header_values;  /* allocation: the names, then the values) */

    /* The current attempt. */
    oai_exchange *ex;            /* NULL once the exchange ended */
    oai__multipart *multipart;
    size_t header_count;
    char retries_text[24], timeout_text[24];
    char *auth;                  /* the token callback's Authorization value for
                                    this attempt (client.c/azure.c), or NULL */
    int auth_refreshed;          /* a 401 already brought a new token */
    oai_response *res;
    body_mode mode;
    oai_stream *stream;
    oai__download download;      /* BODY_FILE */
    int64_t received;            /* body bytes of this attempt */
    int64_t content_length;      /* announced, or -1 */
    int64_t drained;             /* body bytes after the stream completed */
    int64_t drain_until_us;
    int64_t attempt_us, last_io_us;
    int64_t sent_us;             /* when the request was fully sent (as far as known) */
    int64_t sent_bytes;
    oai_status end_status;       /* how the attempt ended */
    char *end_message;

    oai__buf inbox;              /* body bytes not yet handed out */
    size_t inbox_pos;            /* how many of them were */
    size_t inbox_peak;           /* the most that waited since it was last empty */
    int paused;                  /* the exchange was asked to pause */
    int ended_by_host;           /* the transport ended the exchange: what it
                                    delivered before is still handed out */

    int retries;
    int events_delivered;
    int cancel_requested;
    int64_t start_us;
    int64_t retry_at_us;

    /* The pull API: events queued for oai_call_next_event() (a ring), the
     * one last handed out, and the call's ownership. */
    oai_event **events;
    size_t event_head, event_count, event_cap;
    size_t event_bytes;
    oai_event *current_event;
    oai_status outcome;          /* the response's status, once DONE */
    int caller_freed;            /* oai_call_free() ran: the engine frees it */
    int in_done_callback;
    int handed_back;             /* the done callback ran, or it has none */

    /* Where events go: the request's callback, a workflow's, or (NULL) the
     * pull queue. */
    oai_event_fn event_fn;
    void *event_ud;

    /* A workflow (src/workflows/): its steps, its state, when it wants to
     * be stepped again. */
    const oai__workflow_ops *wf_ops;
    void *wf_state;
    int64_t wf_wake_us;
    /* A workflow's own call: the workflow woken when it ends. Valid while
     * the call is not caller_freed (a workflow frees its calls before it
     * goes). */
    oai_call *parent;
    int wf_queue_full;           /* it waits for the host to take events */
};

/* The engine never walks all its calls to find the few with something to
 * do: each call is on the lists of what it waits for, kept as its state
 * changes, so a poll's work grows with the calls that moved, not with the
 * calls in flight.
 *
 * - calls: every call not yet handed back; finished: handed back, waiting
 *   for oai_call_free(). Walked only when the client goes.
 * - due: calls to step at the next pass: cancelled ones, CONCLUDING ones,
 *   those whose timer fired, those given a slice (their pause and their
 *   conclusion are checked after it), paused ones whose host took events.
 *   A pass takes the whole list; a call stays on it only while a cancel
 *   still waits for its step.
 * - ready: exactly the calls whose inbox has bytes to hand out now
 *   (can_drain()), in the order the slices go round.
 * - done: DONE calls, in the order they ended, waiting for the hand-back.
 * - working: the workflows (CALL_WORKING), stepped at every pass; they
 *   are few (a workflow's work is its calls, which are ordinary calls).
 * - queued: CALL_QUEUED, oldest first.
 * - heap: a min-heap of every call with a timed deadline (timed_deadline():
 *   the first-byte, idle and request timeouts, the drain's end, the retry
 *   timer), keyed by it exactly: kept by schedule() whenever the deadline
 *   moves (a state change, bytes moving with an idle or first-byte
 *   timeout). Its room is reserved when a call starts (one place per call
 *   not yet handed back), so a timer never fails to be set.
 *
 * So the next deadline is 0 when due, ready, done or queued holds a call,
 * else the earlier of the heap's top and the workflows' wake-up times. */
struct oai__engine {
    oai_client *client;
    oai_transport *transport;    /* NULL until the first call needs one */
    oai__link calls;
    oai__link finished;
    oai__link due, ready, done, working, queued;
    oai_call **heap;
    size_t heap_len, heap_cap;
    unsigned long visits;        /* oai__engine_visits() */
    int closing;                 /* oai__engine_free() runs: no list changes */
    call_url *urls[URL_CACHE];   /* most recent first */
    header_set *headers;         /* for headers_version, or NULL */
    unsigned headers_version;
    int64_t budget_us;           /* oai_client_set_poll_budget_us(); 0: none */
    int64_t budget_end_us;       /* on the system's clock */
    int slices_this_poll;        /* body slices handed out since it began */
    int64_t starts_this_poll;    /* exchanges begun since it began */
    int running;
    int in_flight;               /* exchanges under way */
    unsigned long next_id;
    oai_clock_fn clock;
    void *clock_ud;
    /* Event-loop mode: the host's callbacks, set when either is. */
    oai_socket_fn socket_fn;
    void *socket_ud;
    oai_timer_fn timer_fn;
    void *timer_ud;
    /* Absolute deadlines in µs of the engine's clock; 0 means "now",
     * INT64_MAX none. Valid in event-loop mode only. */
    int64_t transport_timer_at;  /* the transport's own timer (curl's) */
    int64_t host_timer_at;       /* what the host's timer was last set to */
    int in_socket_action;        /* inside oai_client_socket_action() */
};

static void step(oai_call *call, int64_t now);
static int over_budget(const oai__engine *e);
static int free_if_pending(oai_client *c);
static void update_host_timer(oai__engine *e);
static int can_drain(const oai_call *call);
static int64_t timed_deadline(const oai_call *call);

/* ---- the engine's clock --------------------------------------------------- */

static int64_t now_us(const oai__engine *e)
{
    return e->clock ? e->clock(e->clock_ud) : oai__now_us();
}

/* us + ms, saturating: a binding may pass INT64_MAX to mean "never". */
static int64_t deadline_after(int64_t us, int64_t ms)
{
    return ms >= (INT64_MAX - us) / 1000 ? INT64_MAX : us + ms * 1000;
}

/* ---- the timer heap ------------------------------------------------------------ */

static void heap_place(oai__engine *e, oai_call *call, size_t i)
{
    e->heap[i] = call;
    call->heap_pos = i + 1;
}

static void heap_up(oai__engine *e, size_t i)
{
    oai_call *call = e->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (e->heap[parent]->timer_at <= call->timer_at)
            break;
        heap_place(e, e->heap[parent], i);
        i = parent;
    }
    heap_place(e, call, i);
}

static void heap_down(oai__engine *e, size_t i)
{
    oai_call *call = e->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= e->heap_len)
            break;
        if (child + 1 < e->heap_len && e->heap[child + 1]->timer_at < e->heap[child]->timer_at)
            child++;
        if (e->heap[child]->timer_at >= call->timer_at)
            break;
        heap_place(e, e->heap[child], i);
        i = child;
    }
    heap_place(e, call, i);
}

static void heap_remove(oai__engine *e, oai_call *call)
{
    if (!call->heap_pos)
        return;
    size_t i = call->heap_pos - 1;
    oai_call *last = e->heap[--e->heap_len];
    call->heap_pos = 0;
    if (last == call)
        return;
    heap_place(e, last, i);
    heap_up(e, i);
    heap_down(e, last->heap_pos - 1);
}

/* Room in the heap for one more call (every call not yet handed back may
 * hold a place), made when a call starts so that no timer is ever lost to
 * a failed allocation later. */
static oai_status reserve_timer_room(oai__engine *e)
{
    size_t need = (size_t)e->running + 1;
    if (e->heap_cap >= need)
        return OAI_OK;
    size_t cap = e->heap_cap ? e->heap_cap * 2 : 16;
    while (cap < need)
        cap *= 2;
    oai_call **grown = oai__realloc(e->heap, cap * sizeof *grown);
    if (!grown)
        return OAI_ERR_OUT_OF_MEMORY;
    e->heap = grown;
    e->heap_cap = cap;
    return OAI_OK;
}

/* Puts the call in the heap at its timed deadline, moves it there, or
 * takes it out when it has none. Called whenever the deadline may have
 * moved: a state change, bytes moving under an idle or first-byte timeout. */
static void schedule(oai_call *call)
{
    oai__engine *e = call->engine;
    if (!e || e->closing)
        return;
    int64_t at = timed_deadline(call);
    if (at == INT64_MAX) {
        heap_remove(e, call);
        return;
    }
    if (call->heap_pos) {
        if (at == call->timer_at)
            return;
        int earlier = at < call->timer_at;
        call->timer_at = at;
        if (earlier)
            heap_up(e, call->heap_pos - 1);
        else
            heap_down(e, call->heap_pos - 1);
        return;
    }
    if (e->heap_len == e->heap_cap && reserve_timer_room(e) != OAI_OK)
        return; /* cannot happen: the room was reserved at the start */
    call->timer_at = at;
    heap_place(e, call, e->heap_len++);
    heap_up(e, call->heap_pos - 1);
}

/* ---- the lists of what a call waits for -------------------------------------------- */

/* The call is to be stepped (or its pause checked) at the next pass. */
static void mark_due(oai_call *call)
{
    if (call->engine && !call->engine->closing && call->state != CALL_DONE && !oai__list_linked(&call->due))
        oai__list_add_tail(&call->engine->due, &call->due);
}

/* Keeps the ready list exactly the calls that have bytes to hand out. */
static void sync_ready(oai_call *call)
{
    if (!call->engine || call->engine->closing)
        return;
    int want = can_drain(call);
    if (want && !oai__list_linked(&call->ready))
        oai__list_add_tail(&call->engine->ready, &call->ready);
    else if (!want)
        oai__list_remove(&call->ready);
}

/* Takes the call off every list of the engine and out of the heap. */
static void unlink_call(oai_call *call)
{
    oai__list_remove(&call->all);
    oai__list_remove(&call->due);
    oai__list_remove(&call->ready);
    oai__list_remove(&call->done);
    oai__list_remove(&call->working);
    oai__list_remove(&call->queue);
    if (call->engine)
        heap_remove(call->engine, call);
}

/* ---- the transition function ------------------------------------------------ */

/* The one place a call's state changes; it also moves the call between the
 * engine's lists, so that they always say what each call waits for. */
static void set_state(oai_call *call, call_state to, const char *why)
{
    if (call->state == to)
        return;
    if (call->state == CALL_QUEUED)
        oai__list_remove(&call->queue);
    else if (call->state == CALL_WORKING)
        oai__list_remove(&call->working);
    if (oai__log_enabled(call->client, OAI_LOG_DEBUG))
        oai__log(call->client, OAI_LOG_DEBUG, "call %lu: %s -> %s%s%s", call->id, state_names[call->state],
                 state_names[to], why ? ": " : "", why ? why : "");
    call->state = to;
    oai__engine *e = call->engine;
    if (!e || e->closing)
        return;
    switch (to) {
    case CALL_CONCLUDING:
        mark_due(call);
        break;
    case CALL_DONE:
        oai__list_remove(&call->due);
        oai__list_add_tail(&e->done, &call->done);
        break;
    case CALL_WORKING:
        oai__list_add_head(&e->working, &call->working); /* newest first, as its calls */
        break;
    case CALL_QUEUED:
        oai__list_add_tail(&e->queued, &call->queue);
        break;
    default:
        break;
    }
    schedule(call);
    sync_ready(call);
}

static int in_exchange(const oai_call *call)
{
    return call->state == CALL_REQUESTING || call->state == CALL_RECEIVING || call->state == CALL_DRAINING;
}

/* ---- URLs ------------------------------------------------------------------------ */

static void url_release(call_url *u)
{
    if (u && --u->refs == 0) {
        oai__free(u->url);
        oai__free(u->log_url);
        oai__free(u);
    }
}

/* The call's URL: the client's cached one for the same base URL and path
 * when the request has no query parameters (the chat, embeddings and
 * responses calls; a list's cursor changes anyway), else built for it. On
 * failure *message may say why. */
static oai_status resolve_url(oai_call *call, const oai_request *r, const char **message)
{
    oai__engine *e = call->engine;
    const char *base = call->client->base_url;
    int cacheable = r->query.count == 0 && !oai__client_url_custom(call->client);
    for (size_t i = 0; cacheable && i < URL_CACHE && e->urls[i]; i++) {
        call_url *u = e->urls[i];
        if (strcmp(u->path, r->path) != 0 || strcmp(u->base, base) != 0)
            continue;
        memmove(e->urls + 1, e->urls, i * sizeof *e->urls); /* most recent first */
        e->urls[0] = u;
        u->refs++;
        call->url = u;
        return OAI_OK;
    }
    char *url = NULL;
    oai_status st = oai__client_url(call->client, r, &url, message); /* azure.c */
    if (st != OAI_OK)
        return st;
    size_t base_len = cacheable ? strlen(base) + 1 : 0, path_len = cacheable ? strlen(r->path) + 1 : 0;
    call_url *u = oai__malloc(sizeof *u + base_len + path_len);
    if (!u) {
        oai__free(url);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    u->refs = 1;
    u->url = url;
    u->log_url = NULL;
    u->base = u->path = NULL;
    call->url = u;
    if (cacheable) {
        char *keys = (char *)(u + 1);
        u->base = memcpy(keys, base, base_len);
        u->path = memcpy(keys + base_len, r->path, path_len);
        url_release(e->urls[URL_CACHE - 1]);
        memmove(e->urls + 1, e->urls, (URL_CACHE - 1) * sizeof *e->urls);
        e->urls[0] = u;
        u->refs++;
    }
    return OAI_OK;
}

/* The URL as logs show it (credentials removed), made at its first log
 * line and kept with the URL. */
static const char *log_url(oai_call *call)
{
    call_url *u = call->url;
    if (!u)
        return "[no URL]";
    if (!u->log_url)
        u->log_url = oai__url_for_log(u->url);
    return u->log_url ? u->log_url : "[URL not shown: out of memory]";
}

/* ---- headers ---------------------------------------------------------------- */

static const char *os_name(void)
{
#if defined(__APPLE__)
    return "MacOS";
#elif defined(__linux__)
    return "Linux";
#elif defined(_WIN32)
    return "Windows";
#elif defined(__FreeBSD__)
    return "FreeBSD";
#elif defined(__OpenBSD__)
    return "OpenBSD";
#else
    return "Unknown";
#endif
}

static const char *arch_name(void)
{
#if defined(__x86_64__) || defined(_M_X64)
    return "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    return "arm64";
#elif defined(__i386__) || defined(_M_IX86)
    return "x32";
#elif defined(__arm__)
    return "arm";
#else
    return "unknown";
#endif
}

/* Sets a header of the attempt (replacing one of the same name, which
 * takes this spelling); a NULL value removes it. */
static void header_put(oai_call *call, const char *name, const char *value)
{
    size_t i, n = call->header_count;
    for (i = 0; i < n; i++)
        if (oai__strcasecmp_ascii(call->header_names[i], name) == 0)
            break;
    if (i < n && !value) {
        memmove(call->header_names + i, call->header_names + i + 1, (n - i - 1) * sizeof *call->header_names);
        memmove(call->header_values + i, call->header_values + i + 1, (n - i - 1) * sizeof *call->header_values);
        call->header_count--;
        return;
    }
    if (!value)
        return;
    call->header_names[i] = name;
    call->header_values[i] = value;
    if (i == n)
        call->header_count++;
}

static void header_set_release(header_set *hs)
{
    if (hs && --hs->refs == 0)
        oai__free(hs);
}

static size_t find_entry(const header_entry *d, size_t n, const char *name)
{
    size_t i = 0;
    while (i < n && oai__strcasecmp_ascii(d[i].name, name) != 0)
        i++;
    return i;
}

/* Merges one client header into the draft, as header_put() would merge it
 * into every attempt's list: names are unique in the draft (the library's
 * are distinct, the client's too), so at most one entry matches. */
static size_t merge_client_header(header_entry *d, size_t n, const char *name, const char *value)
{
    size_t i = find_entry(d, n, name);
    if (i == n) {
        if (value)
            d[n++] = (header_entry){name, value, SLOT_NONE, COND_ALWAYS};
        return n;
    }
    if (!value) {
        memmove(d + i, d + i + 1, (n - i - 1) * sizeof *d);
        return n - 1;
    }
    if (d[i].cond == COND_IF_PRESENT) {
        /* Replaced in place when the call sends that header; appended here,
         * in the client's order, when it does not. */
        d[n++] = (header_entry){name, value, d[i].slot, COND_IF_ABSENT};
        d[i].name = name;
        d[i].value = value;
        return n;
    }
    d[i] = (header_entry){name, value, SLOT_NONE, COND_ALWAYS};
    return n;
}

/* The library's own headers, in the order they are sent. */
static size_t library_headers(const oai_client *c, header_entry *d, const char *auth_name, const char *auth_value)
{
    size_t n = 0;
    if (auth_name)
        d[n++] = (header_entry){auth_name, auth_value, SLOT_NONE, COND_ALWAYS};
    if (c->organization)
        d[n++] = (header_entry){"OpenAI-Organization", c->organization, SLOT_NONE, COND_ALWAYS};
    if (c->project)
        d[n++] = (header_entry){"OpenAI-Project", c->project, SLOT_NONE, COND_ALWAYS};
    d[n++] = (header_entry){"User-Agent", c->user_agent ? c->user_agent : "oai/C " OAI_VERSION_STRING, SLOT_NONE,
                            COND_ALWAYS};
    d[n++] = (header_entry){"Accept", NULL, SLOT_ACCEPT, COND_ALWAYS};
    d[n++] = (header_entry){"Content-Type", NULL, SLOT_CONTENT_TYPE, COND_IF_PRESENT};
    if (c->platform_headers) {
        d[n++] = (header_entry){"X-Stainless-Lang", "c", SLOT_NONE, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-Package-Version", OAI_VERSION_STRING, SLOT_NONE, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-OS", os_name(), SLOT_NONE, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-Arch", arch_name(), SLOT_NONE, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-Runtime", "c", SLOT_NONE, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-Retry-Count", NULL, SLOT_RETRY_COUNT, COND_ALWAYS};
        d[n++] = (header_entry){"X-Stainless-Timeout", NULL, SLOT_TIMEOUT, COND_IF_PRESENT};
    }
    d[n++] = (header_entry){"Idempotency-Key", NULL, SLOT_IDEMPOTENCY_KEY, COND_IF_PRESENT};
    return n;
}

static size_t text_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *copy_text(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = memcpy(*at, s, n);
    *at += n;
    return p;
}

/* The client's headers as every call of it sends them, in one block;
 * NULL when memory ran out. */
static header_set *header_set_build(const oai_client *c)
{
    header_entry *d = oai__malloc((LIBRARY_HEADERS + 2 * c->headers.count) * sizeof *d);
    oai__buf auth = {0};
    const char *auth_name = NULL;
    header_set *hs = NULL;
    if (!d || oai__client_auth_header(c, &auth_name, &auth) != OAI_OK)
        goto out;
    size_t n = library_headers(c, d, auth_name, auth.data);
    for (size_t i = 0; i < c->headers.count; i++)
        n = merge_client_header(d, n, c->headers.items[i].name, c->headers.items[i].value);
    size_t size = sizeof *hs + n * sizeof *d;
    for (size_t i = 0; i < n; i++)
        size += text_size(d[i].name) + text_size(d[i].value);
    if (!(hs = oai__malloc(size)))
        goto out;
    hs->refs = 1;
    hs->count = n;
    char *at = (char *)(hs->entries + n);
    for (size_t i = 0; i < n; i++)
        hs->entries[i] = (header_entry){copy_text(&at, d[i].name), copy_text(&at, d[i].value), d[i].slot, d[i].cond};
out:
    oai__buf_free(&auth);
    oai__free(d);
    return hs;
}

/* A reference to the client's headers, formatted again when a setter
 * changed them; NULL when memory ran out. */
static header_set *client_headers(oai__engine *e)
{
    const oai_client *c = e->client;
    if (!e->headers || e->headers_version != c->headers_version) {
        header_set *hs = header_set_build(c);
        if (!hs)
            return NULL;
        header_set_release(e->headers);
        e->headers = hs;
        e->headers_version = c->headers_version;
    }
    e->headers->refs++;
    return e->headers;
}

static int slot_present(const oai_call *call, int slot)
{
    switch (slot) {
    case SLOT_CONTENT_TYPE:
        return call->multipart || call->body;
    case SLOT_TIMEOUT:
        return call->timeout_ms > 0;
    case SLOT_IDEMPOTENCY_KEY:
        return call->idempotency_key != NULL;
    default:
        return 1;
    }
}

static const char *slot_value(const oai_call *call, int slot)
{
    const oai_request *r = call->req;
    switch (slot) {
    case SLOT_ACCEPT:
        return r->event_fn || r->stream_pull ? "text/event-stream" : "application/json";
    case SLOT_CONTENT_TYPE:
        return call->multipart ? oai__multipart_content_type(call->multipart) : "application/json";
    case SLOT_RETRY_COUNT:
        return call->retries_text;
    case SLOT_TIMEOUT:
        return call->timeout_text;
    default:
        return call->idempotency_key;
    }
}

/* A non-negative number in decimal (snprintf's "%lld" without its cost). */
static void format_count(char out[24], long long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0 : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    out[n] = '\0';
}

/* The headers of one attempt: the client's set (the library's headers with
 * the client's merged in) with this attempt's values, then the request's
 * (a NULL value removes). They point into the call, its header set and its
 * request, which outlive the attempt. */
static void build_headers(oai_call *call)
{
    const header_set *hs = call->headers;
    const oai_request *r = call->req;
    format_count(call->retries_text, call->retries);
    size_t n = 0;
    for (size_t i = 0; i < hs->count; i++) {
        const header_entry *h = &hs->entries[i];
        if (h->cond != COND_ALWAYS && slot_present(call, h->slot) != (h->cond == COND_IF_PRESENT))
            continue;
        call->header_names[n] = h->name;
        call->header_values[n] = h->value ? h->value : slot_value(call, h->slot);
        n++;
    }
    call->header_count = n;
    for (size_t i = 0; i < r->headers.count; i++)
        header_put(call, r->headers.items[i].name, r->headers.items[i].value);
}

/* Header values are logged only for headers known to carry no secret:
 * credentials hide under too many names (api-key, X-Session, ...) for a
 * list of bad ones to be safe. */
static void log_request_headers(const oai_call *call)
{
    if (!oai__log_enabled(call->client, OAI_LOG_DEBUG))
        return;
    for (size_t i = 0; i < call->header_count; i++) {
        const char *name = call->header_names[i];
        if (oai__header_is_loggable(name))
            oai__log(call->client, OAI_LOG_DEBUG, "  %s: %s", name, call->header_values[i]);
        else
            oai__log(call->client, OAI_LOG_DEBUG, "  %s: [redacted]", name);
    }
}

/* ---- ending an attempt -------------------------------------------------------- */

/* The attempt is over: how it ended is recorded, the exchange let go (a
 * transport still sending is told to stop). */
static void end_attempt(oai_call *call, oai_status status, const char *message, const char *why)
{
    if (!in_exchange(call))
        return;
    /* When the engine ends the attempt (a cancel, a timeout, a limit), the
     * body waiting in the inbox is dropped; when the transport did, it is
     * still handed out. */
    if (!call->ended_by_host) {
        oai__buf_reset(&call->inbox);
        call->inbox_pos = 0;
    }
    call->end_status = status; /* set_state() below takes it off the ready list */
    oai__set_str(&call->end_message, message);
    if (call->ex) {
        oai_exchange *ex = call->ex;
        call->ex = NULL;
        call->engine->in_flight--;
        oai__exchange_release(ex);
    }
    set_state(call, CALL_CONCLUDING, why ? why : message);
}

/* ---- what the exchange reports ------------------------------------------------ */

/* Queues a copy of an event for oai_call_next_event(); non-zero when
 * memory ran out (the stream then fails). */
static int queue_event(oai_call *call, const oai_event *ev)
{
    if (call->event_count == call->event_cap) {
        size_t cap = call->event_cap ? call->event_cap * 2 : 16;
        oai_event **grown = oai__malloc(cap * sizeof *grown);
        if (!grown)
            return 1;
        for (size_t i = 0; i < call->event_count; i++)
            grown[i] = call->events[(call->event_head + i) % call->event_cap];
        oai__free(call->events);
        call->events = grown;
        call->event_cap = cap;
        call->event_head = 0;
    }
    size_t bytes = 0;
    oai_event *copy = oai__event_dup(ev, &bytes);
    if (!copy)
        return 1;
    call->events[(call->event_head + call->event_count) % call->event_cap] = copy;
    call->event_count++;
    call->event_bytes += bytes;
    if (call->event_count == EVENT_QUEUE_HIGH)
        sync_ready(call); /* a full queue stops the slices */
    return 0;
}

/* A workflow's child has news for it (an event queued, or its end): the
 * workflow takes its next step at the next poll. */
static void wake_parent(oai_call *call)
{
    if (call->parent && call->parent->state == CALL_WORKING)
        call->parent->wf_wake_us = 0;
}

static int on_user_event(void *ud, const oai_event *ev)
{
    oai_call *call = ud;
    if (call->caller_freed)
        return 0; /* nobody wants it: no callback after oai_call_free() */
    call->events_delivered++;
    if (!call->event_fn) {
        /* A workflow's own streamed call (the tool loop's step): its
         * workflow relays the queued events at its next turn. */
        wake_parent(call);
        return queue_event(call, ev);
    }
    call->client->in_callback++;
    int stop = call->event_fn(call->event_ud, ev);
    call->client->in_callback--;
    return stop;
}

/* Frees the queued events and the one handed out last. */
static void clear_events(oai_call *call)
{
    for (size_t i = 0; i < call->event_count; i++)
        oai__event_free(call->events[(call->event_head + i) % call->event_cap]);
    oai__free(call->events);
    call->events = NULL;
    call->event_head = call->event_count = call->event_cap = call->event_bytes = 0;
    oai__event_free(call->current_event);
    call->current_event = NULL;
    sync_ready(call);
}

static int is_2xx(int status)
{
    return status >= 200 && status <= 299;
}

static void decide_body_mode(oai_call *call)
{
    const oai_request *r = call->req;
    oai_response *res = call->res;
    call->mode = BODY_MEMORY;
    if (!is_2xx(res->http_status))
        return;
    const char *ct = r->event_fn || r->stream_pull ? oai_response_header(res, "content-type") : NULL;
    int kind = oai__request_stream_kind(r);
    if ((r->event_fn || r->stream_pull) && !(ct && strstr(ct, "application/json"))) {
        call->stream = oai_stream_new(kind ? kind : OAI_STREAM_CHAT, on_user_event, call);
        if (!call->stream) {
            end_attempt(call, OAI_ERR_OUT_OF_MEMORY, NULL, NULL);
            return;
        }
        oai_stream_set_accumulate(call->stream, r->accumulate);
        oai_stream_set_max_bytes(call->stream, call->client->max_response_bytes);
        call->mode = BODY_STREAM;
    } else if (r->data_fn) {
        call->mode = BODY_CALLBACK;
    } else if (r->output_file) {
        oai_status st = oai__download_open(&call->download, r->output_file);
        if (st != OAI_OK) {
            end_attempt(call, st, st == OAI_ERR_IO ? call->download.message : NULL, NULL);
            return;
        }
        call->mode = BODY_FILE;
    }
}

static void on_status(void *ud, int http_status)
{
    oai_call *call = ud;
    call->res->http_status = http_status;
}

static int64_t parse_length(const char *value, size_t len)
{
    int64_t n = 0;
    if (len == 0 || len > 18)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        n = n * 10 + (value[i] - '0');
    }
    return n;
}

/* A host transport reports from its own loop, between the library's
 * calls; in event-loop mode nothing would then tell the host that a report
 * moved the call's next deadline (an ended exchange is due at once), and
 * the call would wait for the timer set before it. Inside
 * oai_client_socket_action() the timer is updated at its end anyway. */
static void after_report(oai_call *call)
{
    update_host_timer(call->engine);
}

static void on_header(void *ud, const char *name, size_t name_len, const char *value, size_t value_len)
{
    oai_call *call = ud;
    if (oai__kvlist_add(&call->res->headers, name, name_len, value, value_len) != OAI_OK) {
        end_attempt(call, OAI_ERR_OUT_OF_MEMORY, NULL, NULL);
        after_report(call);
        return;
    }
    if (name_len == 14 && oai__strncasecmp_ascii(name, "content-length", 14) == 0)
        call->content_length = parse_length(value, value_len);
}

/* The caller's progress callback; non-zero from it cancels the call. */
static void report_progress(oai_call *call)
{
    const oai_request *r = call->req;
    if (!r->progress_fn || !in_exchange(call) || call->caller_freed)
        return;
    call->client->in_callback++;
    int stop = r->progress_fn(r->progress_ud, call->sent_bytes, call->body ? (int64_t)call->body_len
                                                                : call->multipart ? oai__multipart_length(call->multipart) : 0,
                              call->received, call->content_length > 0 ? call->content_length : 0);
    call->client->in_callback--;
    if (stop)
        end_attempt(call, OAI_ERR_CANCELLED, "cancelled by the progress callback", NULL);
}

/* Waiting bytes of the inbox. */
static size_t inbox_waiting(const oai_call *call)
{
    return call->inbox.len - call->inbox_pos;
}

/* An emptied inbox keeps its memory for the next bytes, unless it is
 * larger than this and far larger than what waited in it lately: a call in
 * flight should not hold on to the largest burst it ever saw (a stream's
 * pieces are small), nor should a busy one allocate again after every
 * slice. */
#define INBOX_KEEP 4096

/* The inbox was handed out or dropped: empty it. */
static void inbox_emptied(oai_call *call)
{
    if (call->inbox.cap > INBOX_KEEP && call->inbox_peak < call->inbox.cap / 4)
        oai__buf_free(&call->inbox);
    else
        oai__buf_reset(&call->inbox);
    call->inbox_pos = 0;
    call->inbox_peak = 0;
}

/* Discards what waits in the inbox. */
static void inbox_clear(oai_call *call)
{
    inbox_emptied(call);
    sync_ready(call);
}

/* Ends the attempt from the inbox: while the exchange runs, as usual; once
 * it has completed (its body still being handed out), by recording how. */
static void fail_from_inbox(oai_call *call, oai_status status, const char *message)
{
    inbox_clear(call);
    if (in_exchange(call)) {
        end_attempt(call, status, message, NULL);
        return;
    }
    call->end_status = status;
    oai__set_str(&call->end_message, message);
}

static void feed_stream(oai_call *call, const char *data, size_t len)
{
    if (call->state == CALL_DRAINING) {
        /* Past [DONE]: read the body's end, so the connection is reused. */
        call->drained += (int64_t)len;
        if (call->drained > DRAIN_MAX_BYTES)
            end_attempt(call, OAI_OK, NULL, "drained enough after the stream's end");
        return;
    }
    if (oai_stream_is_done(call->stream))
        return; /* a completed exchange's bytes after [DONE] */
    oai_status st = oai_stream_feed(call->stream, data, len);
    if (st != OAI_OK) {
        fail_from_inbox(call, st, NULL);
        return;
    }
    if (oai_stream_is_done(call->stream) && in_exchange(call)) {
        /* [DONE] or a terminal event: nothing after it matters, but the
         * exchange ends normally (within DRAIN_MAX_MS) to keep the
         * connection alive. What already waits counts as drained. */
        call->drained += (int64_t)inbox_waiting(call);
        inbox_clear(call);
        call->drain_until_us = deadline_after(now_us(call->engine), DRAIN_MAX_MS);
        set_state(call, CALL_DRAINING, "the stream is complete");
    }
}

static void deliver_data(oai_call *call, const char *data, size_t len)
{
    const oai_request *r = call->req;
    oai_client *c = call->client;
    if (call->caller_freed)
        return; /* no callback after oai_call_free(): the bytes are dropped */
    c->in_callback++;
    int stop = r->data_fn(r->data_ud, data, len);
    c->in_callback--;
    if (stop)
        fail_from_inbox(call, OAI_ERR_CANCELLED, "cancelled by the data callback");
}

static void keep_in_memory(oai_call *call, const char *data, size_t len)
{
    int64_t max = call->client->max_response_bytes;
    if (max > 0 && (int64_t)(call->res->body.len + len) > max)
        end_attempt(call, OAI_ERR_TOO_LARGE, "the response body exceeds the client's maximum response size", NULL);
    else if (oai__buf_append(&call->res->body, data, len) != OAI_OK)
        end_attempt(call, OAI_ERR_OUT_OF_MEMORY, NULL, NULL);
}

/* Keeps body bytes for process(). Past the stream's end they only count
 * towards the drain. The client's response size limit bounds what waits
 * (with the queued events) when the transport cannot be paused. */
static void inbox_add(oai_call *call, const char *data, size_t len)
{
    if (call->state == CALL_DRAINING) {
        feed_stream(call, data, len);
        return;
    }
    int64_t max = call->client->max_response_bytes;
    if (max > 0 && (int64_t)(inbox_waiting(call) + call->event_bytes + len) > max) {
        end_attempt(call, OAI_ERR_TOO_LARGE, "the waiting stream exceeds the client's maximum response size", NULL);
        return;
    }
    if (call->inbox_pos > 0 && call->inbox_pos >= call->inbox.len / 2) {
        /* Compact before growing: what was handed out is dropped. */
        memmove(call->inbox.data, call->inbox.data + call->inbox_pos, inbox_waiting(call));
        call->inbox.len -= call->inbox_pos;
        call->inbox_pos = 0;
    }
    if (oai__buf_append_tight(&call->inbox, data, len) != OAI_OK) {
        end_attempt(call, OAI_ERR_OUT_OF_MEMORY, NULL, NULL);
        return;
    }
    if (inbox_waiting(call) > call->inbox_peak)
        call->inbox_peak = inbox_waiting(call);
    sync_ready(call);
}

/* Hands out one slice of the inbox: to the stream, or to the data
 * callback. */
static void drain_slice(oai_call *call)
{
    size_t n = inbox_waiting(call);
    if (n > DRAIN_SLICE)
        n = DRAIN_SLICE;
    const char *p = call->inbox.data + call->inbox_pos;
    call->inbox_pos += n;
    if (call->mode == BODY_STREAM)
        feed_stream(call, p, n);
    else
        deliver_data(call, p, n);
    if (call->inbox.len && call->inbox_pos == call->inbox.len)
        inbox_emptied(call);
    sync_ready(call);
}

/* Whether the call has body bytes to hand out now: not while its pull
 * queue is full (they wait, and the exchange is paused). */
static int can_drain(const oai_call *call)
{
    if (!inbox_waiting(call) || call->event_count >= EVENT_QUEUE_HIGH)
        return 0;
    return in_exchange(call) || (call->state == CALL_CONCLUDING && call->ended_by_host);
}

/* Whether a call with this much waiting in its inbox stops taking in
 * more for now: past INBOX_HIGH always; under a poll budget past a slice,
 * so that a round of I/O stays short; and with many calls in flight once
 * a slice waits, so that what waits in the inboxes stays small (a
 * thousand streams would otherwise each hold all of their answer at once,
 * read in one round). */
#define MANY_CALLS 64

static int inbox_full(const oai_call *call)
{
    size_t waiting = inbox_waiting(call);
    const oai__engine *e = call->engine;
    return waiting > INBOX_HIGH || (e->budget_us > 0 && waiting > DRAIN_SLICE) ||
           (e->running >= MANY_CALLS && waiting >= DRAIN_SLICE);
}

static void on_data(void *ud, const char *data, size_t len)
{
    oai_call *call = ud;
    int64_t now = now_us(call->engine);
    if (call->state == CALL_REQUESTING) {
        call->res->first_byte_us = now - call->attempt_us;
        set_state(call, CALL_RECEIVING, NULL);
    }
    call->last_io_us = now;
    if (call->idle_ms > 0)
        schedule(call); /* the idle deadline moved */
    call->received += (int64_t)len;
    if (call->mode == BODY_UNDECIDED)
        decide_body_mode(call);
    if (!in_exchange(call)) {
        after_report(call);
        return;
    }
    switch (call->mode) {
    case BODY_STREAM:
    case BODY_CALLBACK:
        /* Handed out in process(), under the poll budget. Once the budget
         * is spent, a call takes in no more than the next poll hands out
         * first (a slice): one round of I/O over many calls stays short. */
        inbox_add(call, data, len);
        if (!call->paused && call->ex && inbox_full(call))
            call->paused = oai__exchange_pause(call->ex, 1);
        break;
    case BODY_FILE:
        if (oai__download_write(&call->download, data, len) != OAI_OK)
            end_attempt(call, OAI_ERR_IO, call->download.message, NULL);
        break;
    default:
        keep_in_memory(call, data, len);
        break;
    }
    report_progress(call);
    after_report(call);
}

static void on_sent(void *ud, int64_t sent, int64_t total)
{
    oai_call *call = ud;
    /* Bytes going out count as activity for the idle timeout, and the
     * first-byte clock starts once the whole request is sent. */
    if (sent > call->sent_bytes) {
        int64_t now = now_us(call->engine);
        call->sent_bytes = sent;
        call->last_io_us = now;
        if (total > 0 && sent >= total)
            call->sent_us = now;
        if (call->idle_ms > 0 || call->first_byte_ms > 0)
            schedule(call); /* the idle or first-byte deadline moved */
    }
    report_progress(call);
    after_report(call);
}

static void on_end(void *ud, oai_status status, const char *message)
{
    oai_call *call = ud;
    call->ex = NULL; /* the exchange has let go of us */
    call->engine->in_flight--;
    if (status == OAI_OK && call->mode == BODY_UNDECIDED)
        decide_body_mode(call);
    /* What the exchange delivered before it ended (completed, or broke) may
     * still wait in the inbox: it is handed out before the conclusion. */
    call->ended_by_host = in_exchange(call);
    end_attempt(call, status, message, status == OAI_OK ? "the exchange completed" : message);
    after_report(call);
}

static const oai__exchange_sink exchange_sink = {on_status, on_header, on_data, on_sent, on_end};

/* ---- attempts ---------------------------------------------------------------- */

/* Lets go of what the attempt held (its exchange must have ended). */
static void clear_attempt(oai_call *call)
{
    if (call->ex) {
        oai_exchange *ex = call->ex;
        call->ex = NULL;
        call->engine->in_flight--;
        oai__exchange_release(ex);
    }
    oai__multipart_free(call->multipart);
    call->multipart = NULL;
    oai__download_discard(&call->download);
    oai_stream_free(call->stream);
    call->stream = NULL;
    oai__free(call->end_message);
    call->end_message = NULL;
    call->drained = 0;
    call->received = 0;
    call->content_length = -1;
    call->mode = BODY_UNDECIDED;
    oai__buf_free(&call->inbox);
    call->inbox_pos = 0;
    call->inbox_peak = 0;
    call->paused = 0;
    call->ended_by_host = 0;
    sync_ready(call);
}

/* The call ends: its response is final. */
static void finish_call(oai_call *call, oai_status status, const char *message)
{
    clear_attempt(call);
    if (!call->res)
        call->res = oai__response_new();
    if (call->res && status != OAI_OK)
        oai__response_fail(call->res, status, message);
    set_state(call, CALL_DONE, status == OAI_OK ? NULL : message ? message : oai_status_name(status));
}

/* Encodes the multipart body of an attempt afresh (files may have changed
 * since the last one). */
static oai_status prepare_multipart(oai_call *call, char *why, size_t why_cap)
{
    if (!call->req->part_count)
        return OAI_OK;
    return oai__multipart_new(call->parts, call->req->part_count, &call->multipart, why, why_cap);
}

static oai_status ensure_transport(oai__engine *e, const char **message);

/* ---- admission under a poll budget ------------------------------------------------- */

/* Whether another exchange may begin in this poll. */
static int may_start(const oai__engine *e)
{
    if (e->budget_us <= 0)
        return 1;
    int64_t allowed = e->budget_us / START_COST_US;
    return e->starts_this_poll < (allowed > 0 ? allowed : 1);
}

static void begin_attempt(oai_call *call);

/* Begins the attempts that waited, oldest first, while the poll has starts
 * left; a cancelled one ends. */
static void start_queued(oai__engine *e)
{
    oai__link *l;
    while ((l = oai__list_first(&e->queued)) != NULL && may_start(e)) {
        oai_call *call = OAI__CONTAINER(l, oai_call, queue);
        e->visits++;
        if (call->cancel_requested)
            finish_call(call, OAI_ERR_CANCELLED, "cancelled by the caller");
        else
            begin_attempt(call); /* leaves the queue (set_state) */
    }
}

static void begin_attempt(oai_call *call)
{
    oai__engine *e = call->engine;
    oai_client *c = call->client;
    char why[256] = "";
    const char *message = NULL;
    if (!may_start(e)) {
        set_state(call, CALL_QUEUED, "this poll's starts are spent (the poll budget)");
        return;
    }
    e->starts_this_poll++;
    clear_attempt(call);
    oai_response_free(call->res);
    call->res = oai__response_new();
    if (!call->res) {
        finish_call(call, OAI_ERR_OUT_OF_MEMORY, NULL);
        return;
    }
    call->res->retries = call->retries;
    call->attempt_us = call->last_io_us = call->sent_us = now_us(e);
    call->sent_bytes = 0;
    oai_status st = ensure_transport(e, &message);
    if (st == OAI_OK) {
        st = prepare_multipart(call, why, sizeof why);
        message = why[0] ? why : NULL;
    }
    if (st != OAI_OK) {
        /* Like a transport failure: the retry policy decides. */
        set_state(call, CALL_REQUESTING, NULL);
        end_attempt(call, st, message, NULL);
        return;
    }
    build_headers(call);
    /* A token callback's token, fetched afresh for every attempt (azure.c),
     * unless the request sets (or removes) its own Authorization header. */
    oai__free(call->auth);
    call->auth = NULL;
    if (!oai__kvlist_find(&call->req->headers, "authorization") &&
        (st = oai__client_fetch_token(c, &call->auth, &message)) != OAI_OK) {
        finish_call(call, st, message);
        return;
    }
    if (call->auth)
        header_put(call, "Authorization", call->auth);
    oai__exchange_spec spec = {
        .method = call->req->method,
        .url = call->url->url,
        .header_names = call->header_names,
        .header_values = call->header_values,
        .header_count = call->header_count,
        .body = call->body,
        .body_len = call->body_len,
        .multipart = call->multipart,
        .connect_timeout_ms = c->connect_timeout_ms,
        .proxy = c->proxy,
        .ca_file = c->ca_file,
        .ca_blob = c->ca_blob,
        .ca_blob_len = c->ca_blob_len,
        .want_progress = call->req->progress_fn != NULL || call->idle_ms > 0 || call->first_byte_ms > 0,
    };
    if (oai__log_enabled(c, OAI_LOG_DEBUG)) {
        oai__log(c, OAI_LOG_DEBUG, "%s %s (attempt %d)", spec.method, log_url(call), call->retries + 1);
        log_request_headers(call);
    }
    set_state(call, CALL_REQUESTING, NULL);
    schedule(call); /* a new attempt's deadlines, even if it was REQUESTING */
    call->ex = oai__exchange_new(&spec, &exchange_sink, call);
    if (!call->ex) {
        end_attempt(call, OAI_ERR_OUT_OF_MEMORY, NULL, NULL);
        return;
    }
    e->in_flight++;
    /* The host may answer, even end, the exchange inside its start
     * callback; a failed start is freed and reported to nobody. */
    st = oai__exchange_start(e->transport, call->ex, &message);
    if (st != OAI_OK) {
        call->ex = NULL;
        e->in_flight--;
        end_attempt(call, st, message, NULL);
    }
}

/* A request whose Accept header names no JSON type (a file download asks
 * for application/binary) gets its 2xx body raw, even if it looks like JSON. */
static int accepts_json(const oai_request *r)
{
    const oai__kv *accept = oai__kvlist_find(&r->headers, "accept");
    return !accept || !accept->value || strstr(accept->value, "json") || strstr(accept->value, "*/*");
}

/* Must the 2xx body be a JSON document? */
static int expects_json(const oai_call *call)
{
    return call->mode == BODY_MEMORY && !call->req->raw_response && accepts_json(call->req);
}

/* 204 and 205 carry no body, nor does the answer to HEAD. */
static int empty_body_ok(const oai_call *call)
{
    int http = call->res->http_status;
    return http == 204 || http == 205 || strcmp(call->req->method, "HEAD") == 0;
}

static void conclude_stream(oai_call *call)
{
    oai_response *res = call->res;
    /* Once [DONE] arrived, how the rest of the body went is moot. */
    int complete = oai_stream_is_done(call->stream) && oai_stream_status(call->stream) == OAI_OK;
    if (complete)
        call->end_status = OAI_OK;
    oai_status st = oai_stream_status(call->stream);
    if (st == OAI_OK && call->end_status == OAI_OK && !complete)
        st = oai_stream_finish(call->stream);
    const oai_value *result = NULL;
    oai_status built = oai__stream_get_result(call->stream, &result);
    if (result)
        oai__response_set_json(res, oai__json_incref((oai_value *)result));
    if (st == OAI_OK && call->end_status == OAI_OK)
        st = built; /* a success without its result is no success */
    if (st != OAI_OK) {
        const char *msg = oai_stream_error_message(call->stream);
        oai__response_fail(res, st, st == OAI_ERR_CANCELLED ? "cancelled by the event callback" : msg);
        if (oai_stream_error(call->stream))
            oai__response_set_api_error(res, oai_stream_error(call->stream));
    } else if (call->end_status != OAI_OK) {
        oai__response_fail(res, call->end_status, call->end_message);
    } else {
        res->status = OAI_OK;
    }
}

/* Fills the response from how the attempt ended. */
static void conclude_body(oai_call *call)
{
    oai_response *res = call->res;
    if (call->download.file) {
        if (call->end_status == OAI_OK && is_2xx(res->http_status)) {
            oai_status st = oai__download_commit(&call->download);
            if (st != OAI_OK) {
                call->end_status = st;
                oai__set_str(&call->end_message, call->download.message);
            }
        } else {
            oai__download_discard(&call->download);
        }
    }
    if (call->mode == BODY_STREAM)
        conclude_stream(call);
    else if (call->end_status == OAI_OK)
        oai__response_finish_body(res, expects_json(call), empty_body_ok(call));
    else
        oai__response_fail(res, call->end_status, call->end_message);
}

static void log_outcome(oai_call *call, const oai__retry_decision *d, int retry)
{
    const oai_client *c = call->client;
    const oai_response *res = call->res;
    if (!oai__log_enabled(c, OAI_LOG_ERROR))
        return; /* not even errors are logged */
    const char *rid = oai_response_request_id(res);
    const char *url = log_url(call);
    int64_t ms = (now_us(call->engine) - call->attempt_us) / 1000;
    char what[64];
    if (res->http_status)
        snprintf(what, sizeof what, "HTTP %d", res->http_status);
    else
        snprintf(what, sizeof what, "%s", oai_status_name(res->status));
    oai__log(c, OAI_LOG_DEBUG, "%s %s -> %s in %lld ms, request id %s; %s%s", call->req->method, url,
             what, (long long)ms, rid ? rid : "-",
             retry ? "retrying: " : (res->status == OAI_OK ? "done" : "not retrying: "),
             res->status == OAI_OK ? "" : d->reason);
    if (retry)
        oai__log(c, OAI_LOG_WARN, "retry %d of %s %s in %lld ms (%s)", call->retries + 1, call->req->method, url,
                 (long long)d->delay_ms, d->reason);
    else if (res->status != OAI_OK)
        oai__log(c, OAI_LOG_ERROR, "%s %s failed: %s (%s)", call->req->method, url, oai_status_name(res->status),
                 rid ? rid : "no request id");
    else
        oai__log(c, OAI_LOG_INFO, "%s %s -> %s (%d retries)", call->req->method, url, what, call->retries);
}

/* Asks the retry policy (and the caller's retry callback) about a failed
 * attempt. */
static int decide_retry(oai_call *call, oai__retry_decision *d)
{
    oai_client *c = call->client;
    oai_response *res = call->res;
    oai__retry_policy policy = c->retry;
    policy.max_retries = call->max_retries;
    oai__retry_input in = {
        .retries_done = call->retries,
        .status = res->status,
        .http_status = res->http_status,
        .should_retry = oai_response_header(res, "x-should-retry"),
        .retry_after_ms = oai_response_header(res, "retry-after-ms"),
        .retry_after = oai_response_header(res, "retry-after"),
        .now_unix_ms = oai__wall_ms(),
        .random = oai__random_unit(),
        .stream_started = call->events_delivered > 0,
    };
    oai__retry_decide(&policy, &in, d);
    /* A token callback's token may have expired: once per call, a 401 is
     * retried at once with a new one (within the retries allowed). */
    if (!d->retry && res->http_status == 401 && call->auth && !call->auth_refreshed &&
        call->retries < policy.max_retries && !in.stream_started) {
        call->auth_refreshed = 1;
        d->retry = 1;
        d->delay_ms = 0;
        d->reason = "HTTP 401 with a token callback: a new token";
    }
    res->retry_after_ms = d->server_delay_ms;
    int retry = d->retry && !call->cancel_requested;
    if (retry && c->retry_fn) {
        c->in_callback++;
        int declined = c->retry_fn(c->retry_ud, call->retries + 1, d->delay_ms, (int)res->status, res->http_status);
        c->in_callback--;
        if (declined) {
            retry = 0;
            d->reason = "the retry callback declined";
        }
    }
    return retry;
}

/* CONCLUDING: the response of the attempt, then done or a retry timer. */
static void conclude_attempt(oai_call *call)
{
    oai_response *res = call->res;
    conclude_body(call);
    oai__retry_decision d = {0, 0, -1, "success"};
    int retry = res->status != OAI_OK && res->status != OAI_ERR_CANCELLED && decide_retry(call, &d);
    res->total_us = now_us(call->engine) - call->start_us;
    log_outcome(call, &d, retry);
    clear_attempt(call);
    if (!retry) {
        set_state(call, CALL_DONE, NULL);
        return;
    }
    oai_response_free(call->res);
    call->res = NULL;
    call->retries++;
    call->retry_at_us = deadline_after(now_us(call->engine), d.delay_ms);
    set_state(call, CALL_BACKOFF, d.reason);
}

/* ---- timers --------------------------------------------------------------------- */

/* The first-byte deadline counts from the end of the request's upload; the
 * idle deadline from the last byte that moved either way; the request
 * deadline from the start of the attempt. */
static int64_t first_byte_deadline(const oai_call *call)
{
    return call->state == CALL_REQUESTING && call->first_byte_ms > 0
               ? deadline_after(call->sent_us, call->first_byte_ms)
               : INT64_MAX;
}

static int64_t idle_deadline(const oai_call *call)
{
    return call->idle_ms > 0 ? deadline_after(call->last_io_us, call->idle_ms) : INT64_MAX;
}

static int64_t request_deadline(const oai_call *call)
{
    return call->timeout_ms > 0 ? deadline_after(call->attempt_us, call->timeout_ms) : INT64_MAX;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* When a timer is to step the call (INT64_MAX: none). What else makes a
 * call need a step (a cancel, a conclusion, bytes to hand out, a start
 * left waiting) puts it on a list instead (set_state(), mark_due(),
 * sync_ready()); a workflow's wake-up time is read from the working list. */
static int64_t timed_deadline(const oai_call *call)
{
    switch (call->state) {
    case CALL_REQUESTING:
    case CALL_RECEIVING:
        return min64(min64(first_byte_deadline(call), idle_deadline(call)), request_deadline(call));
    case CALL_DRAINING:
        return call->drain_until_us;
    case CALL_BACKOFF:
        return call->retry_at_us;
    default:
        return INT64_MAX;
    }
}

/* Ends an exchange whose time is up or that was cancelled. */
static void check_exchange(oai_call *call, int64_t now)
{
    if (call->state == CALL_DRAINING) {
        /* The result is whole: a cancel or the drain's end only stop
         * waiting for the rest of the body. */
        if (call->cancel_requested || now >= call->drain_until_us)
            end_attempt(call, OAI_OK, NULL, "stopped reading after the stream's end");
    } else if (call->cancel_requested) {
        end_attempt(call, OAI_ERR_CANCELLED, "cancelled by the caller", NULL);
    } else if (now >= first_byte_deadline(call)) {
        end_attempt(call, OAI_ERR_TIMEOUT, "no response within the first-byte timeout", NULL);
    } else if (now >= idle_deadline(call)) {
        end_attempt(call, OAI_ERR_TIMEOUT, "no data within the idle timeout", NULL);
    } else if (now >= request_deadline(call)) {
        end_attempt(call, OAI_ERR_TIMEOUT, "the request timeout expired", NULL);
    }
}

/* Advances one call as far as it can go now. */
/* A workflow's turn: cancelled, it ends (its state, freed with the call,
 * cancels its own calls); otherwise its step function runs when it asked
 * for it, or when one of its calls may have moved. */
static void step_workflow(oai_call *call, int64_t now)
{
    if (call->cancel_requested) {
        finish_call(call, OAI_ERR_CANCELLED, "cancelled by the caller");
        return;
    }
    /* The engine walks the client meanwhile: a callback run inside the
     * step (a log callback while a call starts) that frees the client only
     * marks it, and the poll frees it on its way out. */
    oai_client *c = call->client;
    c->in_callback++;
    call->wf_wake_us = call->wf_ops->step(call, call->wf_state, now);
    c->in_callback--;
}

static void step(oai_call *call, int64_t now)
{
    if (call->state == CALL_WORKING) {
        step_workflow(call, now);
        return;
    }
    if (call->state == CALL_QUEUED) {
        if (call->cancel_requested)
            finish_call(call, OAI_ERR_CANCELLED, "cancelled by the caller");
        return;
    }
    if (in_exchange(call))
        check_exchange(call, now);
    if (call->state == CALL_CONCLUDING && call->cancel_requested && inbox_waiting(call))
        fail_from_inbox(call, OAI_ERR_CANCELLED, "cancelled by the caller");
    if (call->state == CALL_BACKOFF) {
        if (call->cancel_requested)
            finish_call(call, OAI_ERR_CANCELLED, "cancelled by the caller");
        else if (now >= call->retry_at_us)
            begin_attempt(call);
    }
    if (call->state == CALL_CONCLUDING && !inbox_waiting(call))
        conclude_attempt(call);
}

/* ---- the call list ---------------------------------------------------------------- */

static void url_release(call_url *u);

/* Frees what a call resolved at its start: once it has ended, only its
 * outcome, its response and its queued events are still wanted. */
static void release_resolved(oai_call *call)
{
    clear_attempt(call);
    if (call->wf_ops) {
        const oai__workflow_ops *ops = call->wf_ops;
        call->wf_ops = NULL;
        ops->free(call->wf_state);
        call->wf_state = NULL;
    }
    if (call->owns_req)
        oai__free((void *)call->req);
    call->req = NULL;
    call->owns_req = 0;
    url_release(call->url);
    call->url = NULL;
    header_set_release(call->headers);
    call->headers = NULL;
    oai__free(call->body);
    oai__free(call->parts);
    oai__free(call->idempotency_key);
    oai__free(call->header_names);
    oai__free(call->auth);
    call->body = call->idempotency_key = call->auth = NULL;
    call->parts = NULL;
    call->header_names = call->header_values = NULL;
}

static void destroy_call(oai_call *call)
{
    unlink_call(call);
    release_resolved(call);
    clear_events(call);
    oai_response_free(call->res);
    oai__free(call);
}

/* Hands a finished call's response to its done callback, or keeps it for
 * oai_call_take_response(); the call then waits for oai_call_free() (or is
 * freed now, when that already ran). */
static void hand_back(oai_call *call)
{
    oai_client *c = call->client;
    oai__engine *e = call->engine;
    oai_response *res = call->res;
    if (res && res->total_us == 0)
        res->total_us = now_us(e) - call->start_us;
    call->outcome = res ? res->status : OAI_ERR_OUT_OF_MEMORY;
    release_resolved(call);
    call->handed_back = 1;
    /* Its workflow looks at it at the next step, whenever it ended (in the
     * transport's start callback, or in this poll's second pass). */
    if (!call->caller_freed)
        wake_parent(call);
    if (call->fn && !c->free_pending && !call->caller_freed) {
        call->res = NULL;
        call->in_done_callback = 1;
        c->in_callback++;
        call->fn(call->ud, call, res);
        c->in_callback--;
        call->in_done_callback = 0;
    } else if (call->fn || call->caller_freed) {
        /* No callback once oai_call_free() or oai_client_free() ran: the
         * call ends silently, as those functions promise. */
        oai_response_free(call->res);
        call->res = NULL;
    }
    if (call->caller_freed)
        destroy_call(call);
    else
        oai__list_add_tail(&e->finished, &call->all);
}

static int over_budget(const oai__engine *e)
{
    return e->budget_us > 0 && oai__now_us() >= e->budget_end_us;
}

/* Hands out waiting body bytes, a slice per ready call in turn (a call
 * with more goes back to the end of the ready list), until every inbox is
 * empty or the poll budget is spent (one slice at least, so that even a
 * tiny budget makes progress). Each call given a slice has its conclusion
 * and its pause checked after. */
static void drain_inboxes(oai__engine *e)
{
    oai__link *l;
    while ((l = oai__list_first(&e->ready)) != NULL && (e->slices_this_poll == 0 || !over_budget(e))) {
        oai_call *call = OAI__CONTAINER(l, oai_call, ready);
        oai__list_remove(l);
        e->visits++;
        drain_slice(call); /* back on the ready list when more waits */
        e->slices_this_poll++;
        mark_due(call);
    }
}

/* Back-pressure: pauses an exchange whose body waits unread in the inbox
 * or whose events wait in the pull queue, and resumes it once they have
 * fallen well below that. */
static int may_resume(const oai_call *call)
{
    size_t waiting = inbox_waiting(call);
    return waiting < INBOX_LOW && call->event_count < EVENT_QUEUE_HIGH / 2 &&
           (waiting == 0 || !over_budget(call->engine));
}

static void update_pause(oai_call *call)
{
    if (!call->ex)
        return;
    int full = inbox_waiting(call) > INBOX_HIGH || call->event_count >= EVENT_QUEUE_HIGH;
    if (full && !call->paused) {
        call->paused = oai__exchange_pause(call->ex, 1);
    } else if (call->paused && may_resume(call)) {
        call->paused = 0;
        oai__exchange_pause(call->ex, 0);
    }
}

/* The calls whose timers are due go on the due list, earliest first. */
static void fire_timers(oai__engine *e, int64_t now)
{
    while (e->heap_len && e->heap[0]->timer_at <= now) {
        oai_call *call = e->heap[0];
        heap_remove(e, call);
        e->visits++;
        mark_due(call);
    }
}

/* The first pass: steps every call on the due list. They stay on it for
 * the second pass (after the I/O), which checks their conclusion and
 * their pause; a call that another's step puts on the list meanwhile waits
 * for the second pass too. */
static void step_due(oai__engine *e, int64_t now)
{
    oai__link todo, *l;
    oai__list_init(&todo);
    oai__list_splice_tail(&todo, &e->due);
    while ((l = oai__list_first(&todo)) != NULL) {
        oai_call *call = OAI__CONTAINER(l, oai_call, due);
        oai__list_remove(l);
        oai__list_add_tail(&e->due, l);
        e->visits++;
        step(call, now);
        schedule(call); /* its timer, if it fired and the call waits on */
    }
}

/* Steps every workflow, newest first, at every pass: a workflow looks at
 * its calls and the time itself. Workflows started meanwhile wait for the
 * next pass. */
static void step_workflows(oai__engine *e, int64_t now)
{
    oai__link todo, *l;
    oai__list_init(&todo);
    oai__list_splice_tail(&todo, &e->working);
    while ((l = oai__list_first(&todo)) != NULL) {
        oai_call *call = OAI__CONTAINER(l, oai_call, working);
        oai__list_remove(l);
        oai__list_add_tail(&e->working, l);
        e->visits++;
        step(call, now); /* leaves the list if it ends */
    }
}

/* The second pass: the calls due now are concluded when their attempt is
 * over and their inbox empty, and paused or resumed. A call stays due only
 * while a cancel waits for its step (at the next pass, as a cancel from a
 * callback here always did). */
static void check_due(oai__engine *e, int64_t now)
{
    oai__link todo, *l;
    oai__list_init(&todo);
    oai__list_splice_tail(&todo, &e->due);
    while ((l = oai__list_first(&todo)) != NULL) {
        oai_call *call = OAI__CONTAINER(l, oai_call, due);
        oai__list_remove(l);
        e->visits++;
        if (call->state == CALL_CONCLUDING)
            step(call, now);
        update_pause(call);
        if (call->cancel_requested)
            mark_due(call);
    }
}

/* Hands back the finished calls, in the order they ended; over the budget,
 * one per poll. They are all taken off the engine's lists first, so that
 * their callbacks may start or cancel other calls freely. Returns how many
 * were handed back. */
static int hand_back_done(oai__engine *e)
{
    oai__link batch, *l;
    oai__list_init(&batch);
    if (over_budget(e)) {
        if ((l = oai__list_first(&e->done)) != NULL) {
            oai__list_remove(l);
            oai__list_add_tail(&batch, l);
        }
    } else {
        oai__list_splice_tail(&batch, &e->done);
    }
    for (l = batch.next; l != &batch; l = l->next) {
        oai_call *call = OAI__CONTAINER(l, oai_call, done);
        oai__list_remove(&call->all);
        e->running--;
    }
    int ran = 0;
    while ((l = oai__list_first(&batch)) != NULL) {
        oai_call *call = OAI__CONTAINER(l, oai_call, done);
        oai__list_remove(l);
        e->visits++;
        hand_back(call);
        ran++;
    }
    return ran;
}

/* Begins the attempts waiting for a start, steps the calls that are due
 * (by a timer, a cancel, a conclusion) and the workflows, hands out
 * waiting bodies when `drain` (a poll's second pass, after its I/O, so that
 * the I/O counts against the budget), checks the conclusion and the pause
 * of the calls that moved, and hands back the finished calls (over the
 * budget, one per poll); returns how many were handed back. */
static int process(oai_client *c, int drain)
{
    oai__engine *e = c->engine;
    int64_t now = now_us(e);
    start_queued(e);
    fire_timers(e, now);
    step_due(e, now);
    step_workflows(e, now);
    if (drain)
        drain_inboxes(e);
    check_due(e, now);
    return hand_back_done(e);
}

/* The engine's nearest deadline: 0 when a call needs processing now,
 * INT64_MAX when nothing is timed. */
static int64_t next_deadline_us(const oai__engine *e)
{
    if (!oai__list_empty(&e->due) || !oai__list_empty(&e->ready) || !oai__list_empty(&e->done) ||
        !oai__list_empty(&e->queued))
        return 0;
    int64_t next = e->heap_len ? e->heap[0]->timer_at : INT64_MAX;
    for (const oai__link *l = e->working.next; l != &e->working; l = l->next)
        next = min64(next, OAI__CONTAINER(l, oai_call, working)->wf_wake_us);
    return next;
}

/* Milliseconds until the next timer, capped by the caller's timeout. */
static int wait_ms(const oai__engine *e, int timeout_ms)
{
    int64_t now = now_us(e), next = next_deadline_us(e);
    if (next == INT64_MAX)
        return timeout_ms;
    int64_t ms = next <= now ? 0 : (next - now + 999) / 1000;
    if (timeout_ms >= 0 && ms > timeout_ms)
        ms = timeout_ms;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* ---- the transport ------------------------------------------------------------------ */

static oai_status ensure_transport(oai__engine *e, const char **message)
{
    oai_status st = OAI_OK;
    if (e->transport)
        return OAI_OK;
    e->transport = oai__transport_default(e->client->share_group, &st);
    if (!e->transport && st == OAI_ERR_INVALID_ARGUMENT)
        *message = "no transport: this liboai was built without libcurl; give the client one with "
                   "oai_client_set_transport()";
    return e->transport ? OAI_OK : st;
}

/* For oai_client_warm_up() (client.c): the client's transport, made now if
 * the first call would make it. */
oai_transport *oai__engine_transport(oai__engine *e, oai_status *status)
{
    const char *message = NULL;
    *status = ensure_transport(e, &message);
    return *status == OAI_OK ? e->transport : NULL;
}

/* ---- event-loop mode ------------------------------------------------------------------ */

static int in_event_loop_mode(const oai__engine *e)
{
    return e->socket_fn != NULL || e->timer_fn != NULL;
}

/* Sets the host's timer to the earlier of the engine's and the transport's
 * deadlines, when that changed. Inside oai_client_socket_action() this
 * waits for its end, so the host hears one final value. */
static void update_host_timer(oai__engine *e)
{
    if (!in_event_loop_mode(e) || e->in_socket_action)
        return;
    int64_t at = min64(next_deadline_us(e), e->transport_timer_at);
    if (at == e->host_timer_at)
        return;
    e->host_timer_at = at;
    if (!e->timer_fn)
        return;
    int64_t now = now_us(e);
    int64_t ms = at == INT64_MAX ? -1 : at <= now ? 0 : (at - now + 999) / 1000;
    e->timer_fn(e->timer_ud, ms);
}

/* The transport's socket changes go straight to the host. */
static void on_transport_socket(void *ud, int64_t fd, int events)
{
    oai__engine *e = ud;
    if (e->socket_fn)
        e->socket_fn(e->socket_ud, fd, events);
}

/* The transport's timer is only recorded: it reaches the host merged with
 * the engine's deadlines, at the end of the entry point that changed it. */
static void on_transport_timer(void *ud, int64_t timeout_ms)
{
    oai__engine *e = ud;
    if (timeout_ms < 0)
        e->transport_timer_at = INT64_MAX;
    else if (timeout_ms == 0)
        e->transport_timer_at = 0;
    else
        e->transport_timer_at = now_us(e) + timeout_ms * 1000;
}

/* Switches the transport's own event-loop driving on or off. A transport
 * without any (a host's) reports no sockets: only a timer callback fits it. */
static oai_status set_transport_loop(oai__engine *e, oai_transport *t, int on)
{
    if (!t->loop)
        return OAI_OK;
    return on ? t->loop->set_callbacks(t->ud, on_transport_socket, on_transport_timer, e)
              : t->loop->set_callbacks(t->ud, NULL, NULL, NULL);
}

/* Installs the host's callbacks; entering or leaving event-loop mode
 * switches how the transport is driven. */
static oai_status set_event_callback(oai_client *c, oai_socket_fn socket_fn, void *socket_ud, oai_timer_fn timer_fn,
                                     void *timer_ud)
{
    oai__engine *e = c->engine;
    const char *message = NULL;
    if (!oai__list_empty(&e->calls) || c->in_callback || e->in_socket_action)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_status st = ensure_transport(e, &message);
    if (st != OAI_OK)
        return st;
    if (socket_fn && !e->transport->loop)
        return OAI_ERR_INVALID_ARGUMENT;
    int was_on = in_event_loop_mode(e), on = socket_fn || timer_fn;
    if (on != was_on) {
        st = set_transport_loop(e, e->transport, on);
        if (st != OAI_OK)
            return st;
        e->transport_timer_at = INT64_MAX;
        e->host_timer_at = INT64_MAX;
    }
    e->socket_fn = socket_fn;
    e->socket_ud = socket_ud;
    e->timer_fn = timer_fn;
    e->timer_ud = timer_ud;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_socket_callback(oai_client *c, oai_socket_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    return set_event_callback(c, fn, fn ? userdata : NULL, c->engine->timer_fn, c->engine->timer_ud);
}

OAI_API oai_status oai_client_set_timer_callback(oai_client *c, oai_timer_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    return set_event_callback(c, c->engine->socket_fn, c->engine->socket_ud, fn, fn ? userdata : NULL);
}

OAI_API int oai_client_socket_action(oai_client *c, int64_t fd, int events)
{
    if (!c || !in_event_loop_mode(c->engine) || c->engine->in_socket_action || c->in_callback ||
        (fd < 0 && fd != OAI_SOCKET_TIMEOUT))
        return -(int)OAI_ERR_INVALID_ARGUMENT;
    oai__engine *e = c->engine;
    oai_transport *t = e->transport;
    e->in_socket_action = 1;
    e->budget_end_us = oai__now_us() + e->budget_us;
    e->slices_this_poll = 0;
    e->starts_this_poll = 0;
    if (fd == OAI_SOCKET_TIMEOUT) {
        /* The host's one-shot timer fired; curl re-reports a timer it still
         * needs after a timeout action. */
        e->host_timer_at = INT64_MAX;
        e->transport_timer_at = INT64_MAX;
    }
    /* Conclude what is already over (cancels, failed starts) before I/O;
     * bodies are handed out after it, within what is left of the budget. */
    process(c, 0);
    oai_status st = OAI_OK;
    if (t && t->loop)
        st = t->loop->socket_action(t->ud, fd, events);
    else if (fd != OAI_SOCKET_TIMEOUT)
        st = OAI_ERR_INVALID_ARGUMENT; /* a host transport reports no sockets */
    process(c, 1);
    e->in_socket_action = 0;
    if (free_if_pending(c))
        return 0;
    update_host_timer(e);
    if (st != OAI_OK)
        return -(int)st;
    return e->running;
}

/* ---- starting a call ---------------------------------------------------------------- */

static oai_status resolve_idempotency_key(oai_call *call, const oai_request *r)
{
    if (!r->idempotency_key)
        return OAI_OK;
    if (*r->idempotency_key) {
        call->idempotency_key = oai__strdup(r->idempotency_key);
    } else {
        char uuid[37];
        oai__buf b = {0};
        if (oai__uuid4(uuid) == OAI_OK)
            oai__buf_printf(&b, "oai-c-retry-%s", uuid);
        call->idempotency_key = b.data;
    }
    return call->idempotency_key ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

/* The parts as the multipart encoder takes them, pointing into the call's
 * request (re-encoded at every attempt: files are read afresh). */
static oai_status resolve_parts(oai_call *call)
{
    const oai_request *r = call->req;
    if (!r->part_count)
        return OAI_OK;
    call->parts = oai__calloc(r->part_count, sizeof *call->parts);
    if (!call->parts)
        return OAI_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < r->part_count; i++) {
        const oai__req_part *p = &r->parts[i];
        call->parts[i] = (oai__http_part){p->kind,   p->name,   p->value,    p->data,     p->len,
                                          p->path,   p->offset, p->length,   p->filename, p->mime_type};
    }
    return OAI_OK;
}

/* Room for every header of an attempt. (Not in the call itself: a call
 * small enough for the allocator's fast bins costs less to make and free.) */
static oai_status make_header_room(oai_call *call)
{
    size_t cap = call->headers->count + call->req->headers.count + 1; /* + a token's */
    call->header_names = oai__malloc(2 * cap * sizeof *call->header_names);
    if (!call->header_names)
        return OAI_ERR_OUT_OF_MEMORY;
    call->header_values = call->header_names + cap;
    return OAI_OK;
}

/* Works out what every attempt of the call shares, from the caller's
 * request `r` (valid during the start only, unless `borrow`: then the
 * caller waits for the call, and it reads r throughout instead of a
 * snapshot). On failure *message may get a description (borrowed). */
static oai_status resolve_call(oai_call *call, const oai_request *r, int borrow, const char **message)
{
    oai_client *c = call->client;
    /* A failed request (a bad argument or an unreadable file given to its
     * constructor) ends with its own status and message, sending nothing. */
    oai_status st = oai__request_failure(r, message);
    if (st != OAI_OK)
        return st;
    if (c->config_status != OAI_OK) {
        /* Nothing is sent with a configuration the user did not mean. */
        *message = c->config_message;
        return c->config_status;
    }
    if ((st = reserve_timer_room(call->engine)) != OAI_OK || (st = resolve_url(call, r, message)) != OAI_OK)
        return st;
    if (!(call->headers = client_headers(call->engine)))
        return OAI_ERR_OUT_OF_MEMORY;
    if (r->body && !r->part_count) {
        /* Serialised once, straight from the caller's request: every
         * attempt sends these bytes. */
        call->body = oai__json_dump(r->body, &call->body_len);
        if (!call->body)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    if (borrow) {
        call->req = r;
    } else {
        if (!(call->req = oai__request_snapshot(r)))
            return OAI_ERR_OUT_OF_MEMORY;
        call->owns_req = 1;
    }
    if ((st = make_header_room(call)) != OAI_OK || (st = resolve_parts(call)) != OAI_OK ||
        (st = resolve_idempotency_key(call, r)) != OAI_OK)
        return st;
    call->max_retries = r->max_retries >= 0 ? r->max_retries : c->retry.max_retries;
    call->timeout_ms = r->timeout_ms >= 0 ? r->timeout_ms : c->timeout_ms;
    call->idle_ms = r->idle_timeout_ms >= 0 ? r->idle_timeout_ms : c->idle_timeout_ms;
    call->first_byte_ms = r->first_byte_timeout_ms >= 0 ? r->first_byte_timeout_ms : c->first_byte_timeout_ms;
    format_count(call->timeout_text, call->timeout_ms / 1000);
    return OAI_OK;
}

static oai_call *call_new(oai_client *c, oai_done_fn fn, void *userdata)
{
    oai__engine *e = c->engine;
    oai_call *call = oai__calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->engine = e;
    call->client = c;
    call->fn = fn;
    call->ud = userdata;
    call->id = ++e->next_id;
    call->content_length = -1;
    call->start_us = now_us(e);
    return call;
}

/* Starts a call (`borrow`: oai_client_send(), whose caller waits, so that
 * the call reads its request instead of a snapshot). *out gets it, or NULL
 * when memory for the call itself ran out. A call whose set-up failed (an
 * invalid URL, the client's configuration error, memory) starts already
 * done, so its outcome reaches the done callback like any other.
 * OAI_ERR_CANCELLED when a callback run meanwhile (the log's) freed the
 * client: do not touch it then. */
static oai_status start_call(oai_client *c, const oai_request *req, int borrow, oai_done_fn fn, void *userdata,
                             oai_call **out)
{
    oai__engine *e = c->engine;
    *out = NULL;
    oai_call *call = call_new(c, fn, userdata);
    if (!call)
        return OAI_ERR_OUT_OF_MEMORY;
    call->event_fn = req->event_fn;
    call->event_ud = req->event_ud;
    const char *message = NULL;
    oai_status st = resolve_call(call, req, borrow, &message);
    oai__list_add_tail(&e->calls, &call->all);
    e->running++;
    if (st == OAI_OK)
        begin_attempt(call);
    else
        finish_call(call, st, message);
    update_host_timer(e);
    if (free_if_pending(c)) {
        oai_call_free(call); /* cut loose by the client's end */
        return OAI_ERR_CANCELLED;
    }
    *out = call;
    return OAI_OK;
}

OAI_API oai_call *oai_client_start(oai_client *c, const oai_request *req, oai_done_fn fn, void *userdata)
{
    oai_call *call = NULL;
    if (c && req)
        start_call(c, req, 0, fn, userdata, &call);
    return call;
}

/* ---- driving ------------------------------------------------------------------------ */

/* Ends a public entry point: when a callback asked for oai_client_free()
 * meanwhile, the client is freed now, and 1 tells the caller not to touch
 * it again. */
static int free_if_pending(oai_client *c)
{
    if (!c->free_pending || c->in_callback)
        return 0;
    oai__client_destroy(c);
    return 1;
}

/* Waits at most ms for I/O: through the transport's run callback, or, for
 * a transport without one (it answers from the host's loop), by sleeping
 * until the engine's next timer. */
static oai_status wait_for_io(oai__engine *e, int ms)
{
    if (e->transport && e->transport->run)
        return oai__transport_run(e->transport, ms);
    int64_t next = next_deadline_us(e);
    if (ms == 0 || next == INT64_MAX || e->clock)
        return OAI_OK; /* nothing the engine could wait for by sleeping */
    int64_t sleep_ms = (next - now_us(e) + 999) / 1000;
    if (ms > 0 && sleep_ms > ms)
        sleep_ms = ms;
    if (sleep_ms > 0)
        oai__sleep_ms(sleep_ms);
    return OAI_OK;
}

/* oai_client_poll() for the engine's own loops; *freed tells whether a
 * callback freed the client. */
static int poll_once(oai_client *c, int timeout_ms, int *freed)
{
    oai__engine *e = c->engine;
    *freed = 0;
    e->budget_end_us = oai__now_us() + e->budget_us;
    e->slices_this_poll = 0;
    e->starts_this_poll = 0;
    int ran = process(c, 0);
    oai_status st = OAI_OK;
    if (!oai__list_empty(&e->calls) && !c->free_pending) {
        /* The I/O comes before the bodies are handed out, so that it counts
         * against the budget; over the budget, the I/O that is ready still
         * happens (without waiting) and one slice is handed out: what
         * arrives waits for the next poll, and a budget smaller than one
         * step never starves the calls. */
        st = wait_for_io(e, ran || over_budget(e) ? 0 : wait_ms(e, timeout_ms));
        process(c, 1);
    }
    if ((*freed = free_if_pending(c)))
        return 0;
    return st != OAI_OK ? -(int)st : e->running;
}

OAI_API int oai_client_poll(oai_client *c, int timeout_ms)
{
    if (!c || in_event_loop_mode(c->engine) || c->in_callback)
        return -(int)OAI_ERR_INVALID_ARGUMENT;
    int freed;
    return poll_once(c, timeout_ms, &freed);
}

OAI_API void oai_client_wakeup(oai_client *c)
{
    if (c && c->engine)
        oai__transport_wakeup(c->engine->transport);
}

OAI_API void oai_call_cancel(oai_call *call)
{
    if (!call || !call->engine || call->state == CALL_DONE)
        return;
    call->cancel_requested = 1;
    mark_due(call);
    /* An event loop learns through a 0 ms timer that there is work. */
    update_host_timer(call->engine);
}

/* ---- the pull API and caller-owned calls ------------------------------------------- */

OAI_API void oai_call_free(oai_call *call)
{
    if (!call)
        return;
    if (!call->engine) { /* cut loose by oai_client_free() */
        destroy_call(call);
        return;
    }
    if (call->in_done_callback || !call->handed_back) {
        /* Running, or about to be handed back: the engine frees it then,
         * without a callback. */
        call->caller_freed = 1;
        if (call->state != CALL_DONE)
            oai_call_cancel(call);
        return;
    }
    destroy_call(call); /* off the finished list */
}

OAI_API int oai_call_is_done(const oai_call *call)
{
    return !call || call->state == CALL_DONE;
}

OAI_API oai_status oai_call_status(const oai_call *call)
{
    if (!call)
        return OAI_ERR_INVALID_ARGUMENT;
    if (call->state != CALL_DONE)
        return OAI_OK;
    return call->res ? call->res->status : call->outcome;
}

OAI_API oai_response *oai_call_take_response(oai_call *call)
{
    if (!call || call->state != CALL_DONE || call->fn)
        return NULL;
    oai__event_free(call->current_event);
    call->current_event = NULL;
    oai_response *res = call->res;
    if (res) {
        call->outcome = res->status;
        if (res->total_us == 0 && call->engine)
            res->total_us = now_us(call->engine) - call->start_us;
    }
    call->res = NULL;
    return res;
}

OAI_API oai_status oai_call_next_event(oai_call *call, const oai_event **event)
{
    if (event)
        *event = NULL;
    if (!call || !event)
        return OAI_ERR_INVALID_ARGUMENT;
    oai__event_free(call->current_event);
    call->current_event = NULL;
    if (call->event_count == 0)
        return OAI_OK;
    call->current_event = call->events[call->event_head];
    call->event_head = (call->event_head + 1) % call->event_cap;
    call->event_count--;
    call->event_bytes -= oai__event_size(call->current_event);
    *event = call->current_event;
    if (call->wf_queue_full && call->event_count < EVENT_QUEUE_HIGH / 2) {
        call->wf_queue_full = 0;
        call->wf_wake_us = 0; /* the workflow goes on at the next poll */
    }
    if (call->engine) {
        /* Taking events may let the slices go on (a full queue stopped
         * them) or a paused stream go on: the next poll resumes it, and an
         * event loop is told so through its timer. */
        if (call->event_count == EVENT_QUEUE_HIGH - 1)
            sync_ready(call);
        if (call->paused && may_resume(call))
            mark_due(call);
        update_host_timer(call->engine);
    }
    return OAI_OK;
}

OAI_API oai_status oai_client_set_poll_budget_us(oai_client *c, int64_t budget_us)
{
    if (!c || budget_us < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    c->engine->budget_us = budget_us;
    return OAI_OK;
}

/* A blocking wait waits in the transport's run callback; without one, only
 * on what a transport answers inside its start callback, and only on the
 * system's clock (a simulated one would never move while the engine
 * slept). */
static int cannot_wait(const oai__engine *e, const oai_call *call)
{
    if (!e->transport || e->transport->run)
        return 0;
    return e->in_flight > 0 ||
           (e->clock && (call->state == CALL_BACKOFF || call->state == CALL_WORKING));
}

/* Why a blocking wait is refused now, or NULL. */
static const char *wait_refused(const oai_client *c)
{
    if (c->in_callback)
        return "a blocking call cannot run inside a callback of the same client";
    if (in_event_loop_mode(c->engine))
        return "a blocking call cannot wait on a client driven by an event loop";
    return NULL;
}

/* Waits for a call with no done callback to end (the blocking form of
 * every call and workflow), then hands over its response and frees it. */
oai_response *oai__call_wait(oai_call *call)
{
    oai_client *c = call->client;
    const char *refused = wait_refused(c);
    if (refused) {
        oai_call_free(call);
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, refused);
    }
    while (call->state != CALL_DONE) {
        int freed;
        if (cannot_wait(c->engine, call)) {
            if (call->state == CALL_WORKING)
                release_resolved(call); /* frees the workflow, cancelling its calls */
            finish_call(call, OAI_ERR_INVALID_ARGUMENT,
                        "cannot wait on this transport: it has no run callback "
                        "(start the call and drive it with oai_client_poll())");
        }
        if (poll_once(c, -1, &freed) < 0 && call->state != CALL_DONE)
            oai_call_cancel(call);
        if (freed) {
            oai_call_free(call);
            return oai__response_new_failed(OAI_ERR_CANCELLED, "a callback freed the client during the call");
        }
    }
    oai_response *res = call->res;
    call->res = NULL;
    if (!call->owns_req)
        call->req = NULL; /* oai_client_send()'s caller gets its request back */
    oai_call_free(call);
    return res ? res : oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
}

OAI_API oai_response *oai_client_send(oai_client *c, const oai_request *req)
{
    if (!c || !req)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or request");
    const char *refused = wait_refused(c);
    if (refused)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, refused);
    oai_call *call = NULL;
    if (start_call(c, req, 1, NULL, NULL, &call) == OAI_ERR_CANCELLED)
        return oai__response_new_failed(OAI_ERR_CANCELLED, "a callback freed the client during the call");
    if (!call)
        return oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    return oai__call_wait(call);
}

/* ---- workflows -------------------------------------------------------------------------- */

oai_call *oai__workflow_start(oai_client *c, const oai__workflow_ops *ops, void *state, oai_done_fn fn, void *ud,
                              oai_event_fn event_fn, void *event_ud)
{
    oai__engine *e = c->engine;
    oai_call *call = call_new(c, fn, ud);
    if (!call) {
        ops->free(state);
        return NULL;
    }
    call->wf_ops = ops;
    call->wf_state = state;
    call->event_fn = event_fn;
    call->event_ud = event_ud;
    call->wf_wake_us = 0; /* its first step at the next poll */
    oai__list_add_tail(&e->calls, &call->all);
    e->running++;
    set_state(call, CALL_WORKING, NULL);
    update_host_timer(e);
    return call;
}

oai_call *oai__workflow_child(oai_call *workflow, const oai_request *req)
{
    oai_call *child = NULL;
    if (start_call(workflow->client, req, 0, NULL, NULL, &child) == OAI_OK && child)
        child->parent = workflow;
    return child;
}

int oai__call_emit(oai_call *call, int type, const oai_value *json)
{
    return oai__call_emit_event(call, NULL, type, json);
}

int oai__call_emit_event(oai_call *call, const oai_event *ev, int type, const oai_value *json)
{
    int stop = ev ? on_user_event(call, ev) : oai__event_emit_json(type, json, on_user_event, call);
    if (stop) {
        call->cancel_requested = 1; /* the workflow ends at its next turn */
        mark_due(call);
    }
    return stop;
}

void oai__call_end(oai_call *call, oai_response *res)
{
    oai_response_free(call->res);
    call->res = res ? res : oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    set_state(call, CALL_DONE, call->res && call->res->status != OAI_OK ? oai_status_name(call->res->status) : NULL);
}

int oai__call_queue_full(oai_call *call)
{
    if (call->event_fn || call->event_count < EVENT_QUEUE_HIGH)
        return 0;
    call->wf_queue_full = 1;
    return 1;
}

int oai__call_over_budget(const oai_call *call)
{
    return call->engine && over_budget(call->engine);
}

int oai__call_cancelled(const oai_call *call)
{
    return call->cancel_requested;
}

int64_t oai__call_now(const oai_call *call)
{
    return now_us(call->engine);
}

oai_client *oai__call_client(const oai_call *call)
{
    return call->client;
}

void *oai__workflow_state(const oai_call *call, const oai__workflow_ops *ops)
{
    return call && call->state == CALL_WORKING && call->wf_ops == ops && !call->caller_freed ? call->wf_state : NULL;
}

/* ---- the engine object ------------------------------------------------------------------ */

oai__engine *oai__engine_new(oai_client *c)
{
    oai__engine *e = oai__calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->client = c;
    e->transport_timer_at = INT64_MAX;
    e->host_timer_at = INT64_MAX;
    oai__list_init(&e->calls);
    oai__list_init(&e->finished);
    oai__list_init(&e->due);
    oai__list_init(&e->ready);
    oai__list_init(&e->done);
    oai__list_init(&e->working);
    oai__list_init(&e->queued);
    return e;
}

unsigned long oai__engine_visits(const oai_client *c)
{
    return c && c->engine ? c->engine->visits : 0;
}

/* The client goes: a call the caller still holds stays valid for
 * oai_call_free() (and its outcome accessors), ended and cut loose. */
static void detach_call(oai_call *call)
{
    if (call->caller_freed) {
        destroy_call(call);
        return;
    }
    if (call->state != CALL_DONE) {
        oai_response *res = call->res;
        call->res = NULL;
        oai_response_free(res);
        call->res = oai__response_new_failed(OAI_ERR_CANCELLED, "the client was freed");
        call->state = CALL_DONE;
        if (call->fn)
            call->handed_back = 1; /* no callback runs for it */
    }
    call->outcome = call->res ? call->res->status : call->outcome;
    release_resolved(call);
    call->engine = NULL;
    call->client = NULL;
}

void oai__engine_free(oai__engine *e)
{
    if (!e)
        return;
    /* First every list of what the calls wait for, and the heap, go: a
     * call's end (a workflow frees its calls) must find none of the others
     * there, some of which are freed by then. */
    e->closing = 1;
    oai__link *l, *lists[] = {&e->calls, &e->finished};
    for (size_t i = 0; i < 2; i++)
        for (l = lists[i]->next; l != lists[i]; l = l->next) {
            oai_call *call = OAI__CONTAINER(l, oai_call, all);
            call->due = call->ready = call->done = call->working = call->queue = (oai__link){NULL, NULL};
            call->heap_pos = 0;
        }
    oai__list_init(&e->due);
    oai__list_init(&e->ready);
    oai__list_init(&e->done);
    oai__list_init(&e->working);
    oai__list_init(&e->queued);
    e->heap_len = 0;
    while ((l = oai__list_first(&e->calls)) != NULL || (l = oai__list_first(&e->finished)) != NULL) {
        oai__list_remove(l);
        detach_call(OAI__CONTAINER(l, oai_call, all));
    }
    e->running = 0;
    for (size_t i = 0; i < URL_CACHE; i++)
        url_release(e->urls[i]);
    header_set_release(e->headers);
    oai__free(e->heap);
    if (in_event_loop_mode(e) && e->timer_fn && e->host_timer_at != INT64_MAX)
        e->timer_fn(e->timer_ud, -1);
    oai_transport_free(e->transport);
    oai__free(e);
}

OAI_API oai_status oai_client_set_transport(oai_client *c, oai_transport *t)
{
    if (!c || !t || !oai__list_empty(&c->engine->calls) || c->in_callback || c->engine->in_socket_action) {
        oai_transport_free(t);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    oai__engine *e = c->engine;
    if (in_event_loop_mode(e)) {
        oai_status st = e->socket_fn && !t->loop ? OAI_ERR_INVALID_ARGUMENT : set_transport_loop(e, t, 1);
        if (st != OAI_OK) {
            oai_transport_free(t);
            return st;
        }
    }
    oai_transport_free(e->transport);
    e->transport = t;
    e->transport_timer_at = INT64_MAX;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_clock_callback(oai_client *c, oai_clock_fn fn, void *userdata)
{
    if (!c || !oai__list_empty(&c->engine->calls) || c->in_callback)
        return OAI_ERR_INVALID_ARGUMENT;
    c->engine->clock = fn;
    c->engine->clock_ud = fn ? userdata : NULL;
    return OAI_OK;
}
