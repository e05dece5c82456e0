/* The allocation-failure ("torture") suite, after curl's torture mode.
 *
 * Every scenario runs once to warm up the libraries' one-time global state,
 * once more counting its allocations (N), and then N more times with the
 * n-th allocation failing, for every n. Each run must end cleanly:
 *   - no crash;
 *   - every call returns success or a documented status: OAI_ERR_OUT_OF_MEMORY
 *     (or what the failing path documents; NULL only where the API documents
 *     NULL), and only when an allocation really failed;
 *   - whenever the API reports success, the result is exactly the one of the
 *     undisturbed run (so no silently truncated text or half-built object);
 *   - a call that failed left its object as it was before the call;
 *   - nothing leaks.
 *
 * How: this executable defines malloc, calloc, realloc and free, which
 * forward to glibc's __libc_malloc & co. Being in the executable, they
 * interpose for the shared libraries too, so allocations inside jansson,
 * libcurl and OpenSSL fail as well. Only the thread that armed the countdown
 * sees failures (the state is thread-local): the mock server runs on other
 * threads and never does. Every block allocated while armed is recorded in a
 * hash table by address and removed when freed (by any thread); what remains
 * once a scenario has cleaned up is a leak.
 *
 * Knobs (environment):
 *   OAI_TEST_ALLOC_STRIDE=k    fail only every k-th allocation number
 *   OAI_TEST_ALLOC_ONLY=n      fail only allocation n (debugging one case)
 *   OAI_TEST_ALLOC_SCENARIO=s  run only scenarios whose name contains s
 *   OAI_TEST_ALLOC_TRACE=1     record a backtrace of every allocation, so a
 *                              leak report shows where the block came from
 *   OAI_TEST_ALLOC_LOG=1       the clients log at debug level to stderr
 * Under valgrind (LD_PRELOAD holds "vgpreload", or OAI_TEST_MEMCHECK=1) the
 * stride is chosen so that each scenario makes about 300 runs. Valgrind
 * must be told to leave this executable's malloc alone
 * (--soname-synonyms=somalloc=nouserintercepts); without it the suite
 * skips.
 *
 * Under AddressSanitizer (or another sanitizer that replaces malloc) the
 * interposer cannot be installed and the suite skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "json/json.h"
#include "mock_server.h"
#include "oai.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FA_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                    \
    __has_feature(memory_sanitizer)
#define FA_DISABLED 1
#endif
#endif
#ifndef FA_DISABLED
#define FA_DISABLED 0
#endif

/* ------------------------------------------------------------------------ */
/* The interposer */

#define FA_FRAMES 8
#define FA_SLOTS ((size_t)1 << 16)

/* One live block allocated while armed. */
typedef struct fa_entry {
    void *ptr;
    size_t size;
    void *frames[FA_FRAMES]; /* frames[0]: the caller; all of them with TRACE */
    int depth;
} fa_entry;

static fa_entry fa_table[FA_SLOTS];
static size_t fa_live;
static pthread_mutex_t fa_lock = PTHREAD_MUTEX_INITIALIZER;
static int fa_trace; /* OAI_TEST_ALLOC_TRACE */

static __thread int fa_armed;    /* this thread's allocations count and may fail */
static __thread long fa_count;   /* allocations seen while armed */
static __thread long fa_fail_at; /* the allocation number to fail; 0: none */
static __thread int fa_failed;   /* that allocation happened (and failed) */

/* Where the injected failure happened. */
static void *fa_fail_frames[32];
static int fa_fail_depth;

static size_t fa_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x & (FA_SLOTS - 1);
}

/* Removes p (linear probing with backward-shift deletion); 1 if it was there. */
static int fa_untrack(void *p)
{
    int found = 0;
    pthread_mutex_lock(&fa_lock);
    if (fa_live > 0) {
        size_t i = fa_hash(p);
        while (fa_table[i].ptr && fa_table[i].ptr != p)
            i = (i + 1) & (FA_SLOTS - 1);
        if (fa_table[i].ptr == p) {
            found = 1;
            fa_live--;
            fa_table[i].ptr = NULL;
            for (size_t j = (i + 1) & (FA_SLOTS - 1); fa_table[j].ptr; j = (j + 1) & (FA_SLOTS - 1)) {
                size_t home = fa_hash(fa_table[j].ptr);
                /* Move the entry into the hole unless its home lies
                 * cyclically in (hole, j]. */
                int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (!stays) {
                    fa_table[i] = fa_table[j];
                    fa_table[j].ptr = NULL;
                    i = j;
                }
            }
        }
    }
    pthread_mutex_unlock(&fa_lock);
    return found;
}

#if !FA_DISABLED
static __thread int fa_busy; /* inside the hook (backtrace may allocate) */

static void fa_track(void *p, size_t size, void *caller)
{
    fa_entry e = {p, size, {caller}, 1};
    if (fa_trace) {
        fa_busy = 1;
        e.depth = backtrace(e.frames, FA_FRAMES);
        fa_busy = 0;
    }
    pthread_mutex_lock(&fa_lock);
    if (fa_live >= FA_SLOTS / 2) {
        static const char msg[] = "test_alloc_failure: allocation table full\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    size_t i = fa_hash(p);
    while (fa_table[i].ptr)
        i = (i + 1) & (FA_SLOTS - 1);
    fa_table[i] = e;
    fa_live++;
    pthread_mutex_unlock(&fa_lock);
}

/* Counts an allocation of the armed thread; 1 when it must fail. */
static int fa_should_fail(void)
{
    if (!fa_armed || fa_busy)
        return 0;
    if (++fa_count != fa_fail_at)
        return 0;
    fa_failed = 1;
    fa_busy = 1;
    fa_fail_depth = backtrace(fa_fail_frames, 32);
    fa_busy = 0;
    errno = ENOMEM;
    return 1;
}

static int fa_tracking(void)
{
    return fa_armed && !fa_busy;
}

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

void *malloc(size_t size)
{
    if (fa_should_fail())
        return NULL;
    void *p = __libc_malloc(size);
    if (p && fa_tracking())
        fa_track(p, size, __builtin_return_address(0));
    return p;
}

void *calloc(size_t count, size_t size)
{
    if (fa_should_fail())
        return NULL;
    void *p = __libc_calloc(count, size);
    if (p && fa_tracking())
        fa_track(p, count * size, __builtin_return_address(0));
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (ptr && size == 0) {
        fa_untrack(ptr);
        return __libc_realloc(ptr, 0);
    }
    if (fa_should_fail())
        return NULL;
    /* Untrack first: once realloc moved the block, another thread may be
     * handed the old address. */
    int was_tracked = ptr && fa_untrack(ptr);
    void *p = __libc_realloc(ptr, size);
    if (!p && was_tracked)
        fa_track(ptr, size, __builtin_return_address(0)); /* a real failure: ptr lives on */
    else if (p && (was_tracked || fa_tracking()))
        fa_track(p, size, __builtin_return_address(0));
    return p;
}

void free(void *ptr)
{
    if (!ptr)
        return;
    fa_untrack(ptr);
    __libc_free(ptr);
}
#endif

static void fa_clear_table(void)
{
    pthread_mutex_lock(&fa_lock);
    memset(fa_table, 0, sizeof fa_table);
    fa_live = 0;
    pthread_mutex_unlock(&fa_lock);
}

/* ------------------------------------------------------------------------ */
/* Runs and their verdicts */

/* One run of a scenario. */
typedef struct run {
    const char *scenario;
    long fail_at;  /* 0: nothing fails */
    long total;    /* N of the counting run, for messages */
    long count;    /* allocations made while armed */
    int injected;  /* allocation fail_at happened and failed */
    int golden;    /* the warm-up run: record what a good run gives */
} run;

static void arm(run *r)
{
    fa_count = r->count;
    fa_fail_at = r->fail_at;
    fa_failed = 0;
    fa_armed = 1;
}

static void disarm(run *r)
{
    fa_armed = 0;
    r->count = fa_count;
    r->injected |= fa_failed;
}

static void print_frames(void *const *frames, int depth)
{
    fflush(stderr);
    backtrace_symbols_fd(frames, depth, 2);
}

/* Fails the cmocka test with the run's context. */
static void fail_run(run *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_run(run *r, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    disarm(r);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n[%s] line %d: %s\n", r->scenario, line, msg);
    if (r->injected) {
        fprintf(stderr, "  with allocation %ld of %ld failing, at:\n", r->fail_at, r->total);
        print_frames(fa_fail_frames, fa_fail_depth);
    } else {
        fprintf(stderr, "  with no allocation failing (fail_at %ld, %ld made)\n", r->fail_at, r->count);
    }
    fail_msg("[%s] n=%ld: %s", r->scenario, r->fail_at, msg);
}

#define EXPECT(r, cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_run((r), __LINE__, __VA_ARGS__);                                                  \
    } while (0)

/* Whether the failed allocation was libcurl's: the first caller outside
 * the C library is libcurl. libcurl 7.88 reports some of its allocation
 * failures as network errors (a failed calloc() in its resolver becomes
 * CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: 127.0.0.1"), which
 * the library can only take for what they say: a connection error, which
 * the retry policy retries. */
static int failed_in_libcurl(const run *r)
{
    Dl_info self;
    if (!r->injected || !dladdr((void *)failed_in_libcurl, &self) || !self.dli_fname)
        return 0;
    for (int i = 1; i < fa_fail_depth; i++) {
        Dl_info info;
        if (!dladdr(fa_fail_frames[i], &info) || !info.dli_fname)
            return 0;
        /* Skip the C library and this executable's own allocator wrappers
         * (an unoptimised build keeps them as separate frames). */
        if (!strstr(info.dli_fname, "/libc.so") && strcmp(info.dli_fname, self.dli_fname) != 0)
            return strstr(info.dli_fname, "/libcurl") != NULL;
    }
    return 0;
}

/* A status is clean when it is OAI_OK, or when an allocation failed and it
 * is OAI_ERR_OUT_OF_MEMORY or @p also (0: nothing else). libcurl 7.88 says
 * "out of memory" both when an allocation fails while it stores a response
 * header line and when that line passes its 100 KiB limit; the library
 * takes the two for the latter (OAI_ERR_TOO_LARGE, the server's doing), so
 * a failure injected into libcurl may read that way too. */
static int status_clean(const run *r, oai_status st, oai_status also)
{
    if (st == OAI_OK)
        return 1;
    if (st == OAI_ERR_TOO_LARGE && failed_in_libcurl(r))
        return 1;
    return r->injected && (st == OAI_ERR_OUT_OF_MEMORY || (also != OAI_OK && st == also));
}

#define EXPECT_STATUS(r, st, also, what)                                                           \
    EXPECT((r), status_clean((r), (st), (also)), "%s returned %s", (what), oai_status_name(st))

/* NULL is clean only when an allocation failed. */
#define EXPECT_MADE(r, p, what) EXPECT((r), (p) != NULL || (r)->injected, "%s returned NULL", (what))

static void expect_same_text(run *r, int line, const char *what, const char *got, const char *want)
{
    if (got == want || (got && want && strcmp(got, want) == 0))
        return;
    fail_run(r, line, "%s differs from the undisturbed run:\n  got  %s\n  want %s", what,
             got ? got : "(null)", want ? want : "(null)");
}

#define EXPECT_SAME_TEXT(r, what, got, want) expect_same_text((r), __LINE__, (what), (got), (want))

/* Records @p text as the expectation (golden run) or compares with it. */
static void golden_text(run *r, int line, const char *what, char **slot, const char *text)
{
    if (r->golden) {
        free(*slot);
        *slot = text ? strdup(text) : NULL;
        return;
    }
    expect_same_text(r, line, what, text, *slot);
}

#define GOLDEN_TEXT(r, what, slot, text) golden_text((r), __LINE__, (what), (slot), (text))

static void golden_long(run *r, int line, const char *what, long *slot, long value)
{
    if (r->golden)
        *slot = value;
    else if (value != *slot)
        fail_run(r, line, "%s is %ld, the undisturbed run gave %ld", what, value, *slot);
}

#define GOLDEN_LONG(r, what, slot, value) golden_long((r), __LINE__, (what), (slot), (long)(value))

/* A block the dynamic linker allocated: the DTV of a thread started while
 * armed (libcurl's threaded resolver, which it falls back to when turning
 * "127.0.0.1" into an address ran out of memory). glibc keeps it with the
 * thread's stack in its stack cache for the next thread: not a leak. */
static int from_dynamic_linker(const fa_entry *e)
{
    Dl_info info;
    return dladdr(e->frames[0], &info) && info.dli_fname && strstr(info.dli_fname, "/ld-linux");
}

static size_t live_blocks(void)
{
    pthread_mutex_lock(&fa_lock);
    size_t n = fa_live;
    pthread_mutex_unlock(&fa_lock);
    return n;
}

/* The entry in slot i (a copy, taken under the lock: other threads free). */
static fa_entry slot_entry(size_t i)
{
    pthread_mutex_lock(&fa_lock);
    fa_entry e = fa_table[i];
    pthread_mutex_unlock(&fa_lock);
    return e;
}

/* Drops the blocks that are not leaks; returns how many others are left.
 * dladdr() takes the dynamic linker's lock, so it runs without ours. */
static size_t count_leaks(void)
{
    for (size_t i = 0; live_blocks() > 0 && i < FA_SLOTS;) {
        fa_entry e = slot_entry(i);
        if (e.ptr && from_dynamic_linker(&e) && fa_untrack(e.ptr))
            continue; /* the slot now holds another entry, or none */
        i++;
    }
    return live_blocks();
}

static void expect_no_leak(run *r)
{
    /* Another thread may still be about to free a block (libcurl's
     * resolver thread frees its shared state when it is done). */
    for (int wait = 0; count_leaks() > 0 && wait < 100; wait++)
        usleep(10000);
    size_t n = live_blocks();
    if (n == 0)
        return;
    fprintf(stderr, "\n[%s] %zu block(s) leaked:\n", r->scenario, n);
    for (size_t i = 0, shown = 0; i < FA_SLOTS && shown < 20; i++) {
        fa_entry e = slot_entry(i);
        if (!e.ptr)
            continue;
        fprintf(stderr, "  %zu bytes at %p, allocated from:\n", e.size, e.ptr);
        print_frames(e.frames, e.depth);
        shown++;
    }
    fa_clear_table();
    fail_run(r, __LINE__, "%zu block(s) leaked", n);
}

/* ------------------------------------------------------------------------ */
/* The driver */

static int memcheck_mode(void)
{
    const char *preload = getenv("LD_PRELOAD");
    const char *memcheck = getenv("OAI_TEST_MEMCHECK");
    return (preload && strstr(preload, "vgpreload")) || (memcheck && strcmp(memcheck, "1") == 0);
}

static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v ? atol(v) : 0;
}

static long stride_for(long total)
{
    long stride = env_long("OAI_TEST_ALLOC_STRIDE");
    if (stride > 0)
        return stride;
    if (memcheck_mode())
        return total > 300 ? (total + 299) / 300 : 1;
    return 1;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether this executable's malloc is the one in use. Valgrind replaces
 * the malloc of the main executable too, unless told not to with
 * --soname-synonyms=somalloc=nouserintercepts (it then still sees every
 * block through glibc's __libc_malloc, which it does replace). */
static int interposer_active(void)
{
    run probe;
    memset(&probe, 0, sizeof probe);
    arm(&probe);
    /* Through the library: the compiler takes a direct malloc() call for
     * one that cannot change this file's counters. */
    char *p = oai__strdup("probe");
    disarm(&probe);
    free(p);
    return probe.count > 0;
}

typedef void (*scenario_fn)(run *r);

static void run_once(run *r, const char *name, scenario_fn scenario, long fail_at, long total, int golden)
{
    memset(r, 0, sizeof *r);
    r->scenario = name;
    r->fail_at = fail_at;
    r->total = total;
    r->golden = golden;
    scenario(r);
    fa_armed = 0;
}

/* Runs a scenario: warm-up (records the expectations), counting, then
 * with each allocation failing in turn. */
static void torture(const char *name, scenario_fn scenario)
{
    const char *only_scenario = getenv("OAI_TEST_ALLOC_SCENARIO");
    if (FA_DISABLED) {
        fprintf(stderr, "[%s] skipped: a sanitizer replaces malloc in this build\n", name);
        skip();
    }
    if (!interposer_active()) {
        fprintf(stderr, "[%s] skipped: this executable's malloc is not the one in use (under valgrind, "
                        "run with --soname-synonyms=somalloc=nouserintercepts)\n", name);
        skip();
    }
    if (only_scenario && !strstr(name, only_scenario))
        return;
    run r;
    double start = seconds_now();

    /* The warm-up fills the libraries' once-per-process state (libcurl and
     * OpenSSL initialisation, jansson's hash seed, OpenSSL's per-thread
     * random generator) outside any failing run; what it keeps is not ours. */
    run_once(&r, name, scenario, 0, 0, 1);
    fa_clear_table();

    run_once(&r, name, scenario, 0, 0, 0);
    expect_no_leak(&r);
    long total = r.count, stride = stride_for(total), only = env_long("OAI_TEST_ALLOC_ONLY"), runs = 0;
    EXPECT(&r, total > 0, "the scenario made no allocation");

    for (long n = 1; n <= total; n += stride) {
        if (only > 0 && n != only)
            continue;
        run_once(&r, name, scenario, n, total, 0);
        expect_no_leak(&r);
        runs++;
    }
    if (only > 0 && only > total) {
        run_once(&r, name, scenario, only, total, 0);
        expect_no_leak(&r);
        runs++;
    }
    fprintf(stderr, "[%s] %ld allocations, %ld failing runs (stride %ld), %.1f s\n", name, total, runs,
            stride, seconds_now() - start);
}

/* ------------------------------------------------------------------------ */
/* Helpers used outside the armed regions */

static char *read_transcript(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/transcripts/%s", OAI_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return buf;
}

/* The JSON text of a value (compared between runs), or NULL. */
static char *dump_value(const oai_value *v)
{
    return v ? oai_value_json_dup(v) : NULL;
}

/* ------------------------------------------------------------------------ */
/* 1. JSON: parse a chat completion, set by pointer (creating
 *    intermediates), remove, copy, dump. */

static const char chat_completion_body[] =
    "\xEF\xBB\xBF{\"id\":\"chatcmpl-BkR2xq4Vd8sNpW7eZt3Yc9LmQa1Fh\",\"object\":\"chat.completion\","
    "\"created\":1750167241,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Spring breeze, \\u6625\\u98ce\\u62c2\\u9762 "
    "\\ud83c\\udf38 \\u2014 caf\xC3\xA9. A line\\nbreak, a \\\"quote\\\", a tab\\t and a NUL \\u0000 "
    "byte in a text long enough to make every buffer grow more than once.\",\"refusal\":null,"
    "\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,"
    "\"completion_tokens\":12345678901234,\"total_tokens\":-31,\"temperature\":0.7,\"big\":1.5e300,"
    "\"tiny\":-2.5E-300,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0}},"
    "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_34a54ae93c\",\"flags\":[true,false,null]}";

typedef struct json_step {
    const char *pointer;
    const char *value;
} json_step;

static const json_step json_steps[] = {
    {"/choices/0/message/annotations/-", "{\"type\":\"url_citation\",\"url\":\"https://example.com/a/long/path\"}"},
    {"/metadata/trace/spans/0/name", "\"a span name that is long enough\""},
    {"/usage/completion_tokens_details/reasoning_tokens", "42"},
    {"/choices/0/message/content", "\"replaced content, \\u00e9t\\u00e9 \\ud83c\\udf1e\""},
    {"/a~1b/~0c/-", "[1,2.5,true,null,\"x\",{\"k\":[]}]"},
    {"/choices/1", "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":null}}"},
};
#define JSON_STEPS (sizeof json_steps / sizeof *json_steps)

static char *json_golden[JSON_STEPS + 1]; /* the document's text after each step */
static char *json_golden_final[3];

static void scenario_json(run *r)
{
    oai_status st = OAI_OK;
    oai_value *doc, *copy = NULL;
    char *text = NULL, *choice = NULL;
    size_t i, len = 0;

    arm(r);
    doc = oai__json_parse(chat_completion_body, sizeof chat_completion_body - 1, &st);
    disarm(r);
    EXPECT_MADE(r, doc, "oai__json_parse");
    EXPECT_STATUS(r, st, 0, "oai__json_parse");
    if (!doc)
        return;
    char *before = dump_value(doc);
    GOLDEN_TEXT(r, "the parsed document", &json_golden[0], before);
    free(before);

    for (i = 0; i < JSON_STEPS; i++) {
        arm(r);
        oai_value *v = oai__json_parse(json_steps[i].value, strlen(json_steps[i].value), &st);
        if (v)
            st = oai__json_pointer_set(&doc, json_steps[i].pointer, v);
        disarm(r);
        EXPECT_STATUS(r, st, 0, json_steps[i].pointer);
        char *now = dump_value(doc);
        if (st != OAI_OK) {
            /* A failed set leaves the document as it was. */
            EXPECT_SAME_TEXT(r, "the document after a failed set", now, json_golden[i]);
            free(now);
            goto done;
        }
        GOLDEN_TEXT(r, json_steps[i].pointer, &json_golden[i + 1], now);
        free(now);
    }

    arm(r);
    st = oai__json_pointer_remove(doc, "/usage/big");
    disarm(r);
    EXPECT_STATUS(r, st, 0, "oai__json_pointer_remove");
    char *after = dump_value(doc);
    if (st == OAI_OK)
        GOLDEN_TEXT(r, "the document after remove", &json_golden_final[2], after);
    else /* a failed remove leaves the document as it was */
        EXPECT_SAME_TEXT(r, "the document after a failed remove", after, json_golden[JSON_STEPS]);
    free(after);
    if (st != OAI_OK)
        goto done;

    arm(r);
    copy = oai__json_deep_copy(doc);
    text = oai__json_dump(copy, &len);
    choice = oai_value_json_dup(oai_value_get(doc, "/choices/0/message"));
    disarm(r);
    EXPECT_MADE(r, copy, "oai__json_deep_copy");
    EXPECT_MADE(r, choice, "oai_value_json_dup");
    if (copy)
        EXPECT_MADE(r, text, "oai__json_dump");
    if (text) {
        EXPECT(r, len == strlen(text), "oai__json_dump's length is %zu, not %zu", len, strlen(text));
        GOLDEN_TEXT(r, "the copy's text", &json_golden_final[0], text);
    }
    if (choice)
        GOLDEN_TEXT(r, "the message's text", &json_golden_final[1], choice);
done:
    free(text);
    free(choice);
    oai__json_decref(copy);
    oai__json_decref(doc);
}

static void test_json(void **state)
{
    (void)state;
    torture("json", scenario_json);
}

/* ------------------------------------------------------------------------ */
/* 2. Request building */

typedef enum req_step {
    RS_MESSAGE_DEVELOPER,
    RS_MESSAGE_USER,
    RS_TOOL,
    RS_TOOL_CALL,
    RS_TOOL_CALL_2,
    RS_TOOL_RESULT,
    RS_NUMBER,
    RS_JSON,
    RS_DEEP_STRING,
    RS_QUERY,
    RS_HEADER,
    RS_IDEMPOTENCY,
    RS_STREAM,
    RS_COUNT
} req_step;

static int no_events(void *ud, const oai_event *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

static oai_status request_step(oai_request *req, int step)
{
    switch (step) {
    case RS_MESSAGE_DEVELOPER:
        return oai_chat_request_add_message(req, "developer", "Answer in one line.");
    case RS_MESSAGE_USER:
        return oai_chat_request_add_message(req, "user", "写一首关于春天的诗, with \"quotes\" and a text long enough to grow buffers");
    case RS_TOOL:
        return oai_chat_request_add_tool(req, "get_weather", "The weather in a city",
                                    "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\","
                                    "\"description\":\"City and country, e.g. Paris, France\"}},"
                                    "\"required\":[\"location\"],\"additionalProperties\":false}");
    case RS_TOOL_CALL:
        return oai_chat_request_add_tool_call(req, "call_Vx3kP8qL2mN7", "get_weather", "{\"location\":\"Paris, France\"}");
    case RS_TOOL_CALL_2:
        return oai_chat_request_add_tool_call(req, "call_Hq9sR4tW1zY6", "get_weather", "{\"location\":\"東京, 日本\"}");
    case RS_TOOL_RESULT:
        return oai_chat_request_add_tool_result(req, "call_Vx3kP8qL2mN7", "{\"temperature_c\":21,\"sky\":\"clear\"}");
    case RS_NUMBER:
        return oai_request_set_number(req, "/temperature", 0.7);
    case RS_JSON:
        return oai_request_set_json(req, "/response_format",
                                    "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"strict\":true}}");
    case RS_DEEP_STRING:
        return oai_request_set_string(req, "/metadata/session/user_reference", "a reference long enough to grow");
    case RS_QUERY:
        return oai_request_set_query(req, "api-version", "2024-10-21");
    case RS_HEADER:
        return oai_request_set_header(req, "X-Trace-Id", "trace-0123456789");
    case RS_IDEMPOTENCY:
        return oai_request_set_idempotency_key(req, "key-0123456789abcdef");
    case RS_STREAM:
        return oai_request_set_event_callback(req, no_events, NULL);
    default:
        return OAI_ERR_INVALID_ARGUMENT;
    }
}

static char *request_golden[RS_COUNT + 1];
static char *request_golden_dup;

/* The request as text: its body, query and headers. */
static char *describe_request(const oai_request *req)
{
    char *body = oai_request_body_dup(req);
    const char *q = oai_request_query(req, "api-version");
    size_t n = (body ? strlen(body) : 6) + 256;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%s %s body=%s query=%s", oai_request_method(req), oai_request_path(req),
             body ? body : "(none)", q ? q : "(none)");
    free(body);
    return out;
}

static void scenario_request(run *r)
{
    oai_request *req, *dup = NULL;
    char *body = NULL;
    int i;

    arm(r);
    req = oai_chat_completion_create_request_new("gpt-4o-mini");
    disarm(r);
    EXPECT_MADE(r, req, "oai_chat_completion_create_request_new");
    if (!req)
        return;
    char *text = describe_request(req);
    GOLDEN_TEXT(r, "the new request", &request_golden[0], text);
    free(text);

    for (i = 0; i < RS_COUNT; i++) {
        arm(r);
        oai_status st = request_step(req, i);
        disarm(r);
        EXPECT_STATUS(r, st, 0, "a request setter");
        text = describe_request(req);
        if (st != OAI_OK) {
            EXPECT_SAME_TEXT(r, "the request after a failed setter", text, request_golden[i]);
            free(text);
            goto done;
        }
        GOLDEN_TEXT(r, "the request", &request_golden[i + 1], text);
        free(text);
    }

    arm(r);
    dup = oai_request_clone(req);
    body = oai_request_body_dup(dup);
    disarm(r);
    EXPECT_MADE(r, dup, "oai_request_clone");
    if (dup) {
        EXPECT_MADE(r, body, "oai_request_body_dup");
        text = describe_request(dup);
        EXPECT_SAME_TEXT(r, "the copy", text, request_golden[RS_COUNT]);
        free(text);
    }
    if (body)
        GOLDEN_TEXT(r, "the copy's body", &request_golden_dup, body);
done:
    oai_free(body);
    oai_request_free(dup);
    oai_request_free(req);
}

static void test_request(void **state)
{
    (void)state;
    torture("request", scenario_request);
}

/* ------------------------------------------------------------------------ */
/* 3. Streaming without transport */

typedef struct event_tally {
    long events;
    long text_bytes;
} event_tally;

static int tally_event(void *ud, const oai_event *ev)
{
    event_tally *t = ud;
    t->events++;
    t->text_bytes += (long)oai_event_text_len(ev);
    return 0;
}

/* What the undisturbed run of a transcript gave. */
typedef struct stream_golden {
    oai_status status;
    char *result;
    char *text;
    char *message;
    char *error;
    long events;
    long text_bytes;
} stream_golden;

typedef struct transcript {
    const char *file;
    int kind;
    stream_golden golden;
} transcript;

static transcript transcripts[] = {
    {"openai_chat_tools_parallel.sse", OAI_STREAM_CHAT, {0}},
    {"openai_responses.sse", OAI_STREAM_RESPONSES, {0}},
    {"openai_chat_usage.sse", OAI_STREAM_CHAT, {0}},
    {"openai_completions.sse", OAI_STREAM_COMPLETION, {0}},
    {"ollama_tools.sse", OAI_STREAM_CHAT, {0}},
    {"llamacpp_reasoning.sse", OAI_STREAM_CHAT, {0}},
    {"llamacpp_error_old.sse", OAI_STREAM_CHAT, {0}},
    {"llamacpp_error_new.sse", OAI_STREAM_CHAT, {0}},
    {"vllm_error_flat.sse", OAI_STREAM_CHAT, {0}},
    {"azure_filter.sse", OAI_STREAM_CHAT, {0}},
    {"openrouter_reasoning_crlf.sse", OAI_STREAM_CHAT, {0}},
};
#define TRANSCRIPTS (sizeof transcripts / sizeof *transcripts)

static transcript *current_transcript;

/* Feeds a transcript in three pieces (so partial lines are kept between
 * feeds), finishes, and reads the result. A run must end with the
 * undisturbed run's status, or OAI_ERR_OUT_OF_MEMORY; with the former, with
 * exactly its events, text, result and error. */
static void scenario_transcript(run *r)
{
    transcript *t = current_transcript;
    stream_golden *g = &t->golden;
    size_t len;
    char *in = read_transcript(t->file, &len);
    event_tally tally = {0, 0};
    oai_status st = OAI_OK;
    const oai_value *result = NULL;
    const char *text = NULL;
    size_t cut1 = len / 3, cut2 = 2 * len / 3;

    arm(r);
    oai_stream *s = oai_stream_new(t->kind, tally_event, &tally);
    if (s) {
        st = oai_stream_feed(s, in, cut1);
        if (st == OAI_OK)
            st = oai_stream_feed(s, in + cut1, cut2 - cut1);
        if (st == OAI_OK)
            st = oai_stream_feed(s, in + cut2, len - cut2);
        oai_status fin = oai_stream_finish(s);
        if (st == OAI_OK)
            st = fin;
        else
            EXPECT(r, fin == st, "finish after a failed feed returned %s, not %s", oai_status_name(fin),
                   oai_status_name(st));
        result = oai_stream_result(s);
        text = oai_stream_text(s);
    }
    disarm(r);
    EXPECT_MADE(r, s, "oai_stream_new");
    if (!s) {
        free(in);
        return;
    }
    if (r->golden)
        g->status = st;
    EXPECT(r, st == g->status || (r->injected && st == OAI_ERR_OUT_OF_MEMORY),
           "the stream ended with %s, the undisturbed run with %s", oai_status_name(st), oai_status_name(g->status));
    EXPECT(r, oai_stream_status(s) == st, "oai_stream_status is %s, not %s", oai_status_name(oai_stream_status(s)),
           oai_status_name(st));
    EXPECT(r, st == OAI_OK || oai_stream_error_message(s) != NULL, "a failed stream has no error message");
    if (st == g->status) {
        EXPECT(r, oai_stream_is_done(s), "the stream is not done");
        GOLDEN_TEXT(r, "the stream's text", &g->text, text);
        GOLDEN_LONG(r, "the number of events", &g->events, tally.events);
        GOLDEN_LONG(r, "the events' text bytes", &g->text_bytes, tally.text_bytes);
        GOLDEN_TEXT(r, "the error message", &g->message, oai_stream_error_message(s));
        char *error = dump_value(oai_stream_error(s));
        GOLDEN_TEXT(r, "the error", &g->error, error);
        free(error);
        /* Building the result is the one step left that may fail. */
        if (result || !r->injected) {
            char *dump = dump_value(result);
            GOLDEN_TEXT(r, "the stream's result", &g->result, dump);
            free(dump);
        }
    }
    oai_stream_free(s);
    free(in);
}

static void test_transcripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRANSCRIPTS; i++) {
        char name[96];
        snprintf(name, sizeof name, "stream %s", transcripts[i].file);
        current_transcript = &transcripts[i];
        torture(name, scenario_transcript);
    }
}

/* ------------------------------------------------------------------------ */
/* 4. The training-data validator */

static const char training_data[] =
    "{\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":"
    "\"What is the capital of France, and what is it known for?\"},{\"role\":\"assistant\",\"content\":"
    "\"Paris, known for the Eiffel Tower.\"}]}\n"
    "{\"messages\":[{\"role\":\"wizard\",\"content\":\"abracadabra\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}\n"
    "this line is not JSON at all, and it is long enough to be quoted in the report\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"天气怎么样？\"},{\"role\":\"assistant\",\"content\":null,"
    "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"北京\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_1\","
    "\"content\":\"晴\"},{\"role\":\"assistant\",\"content\":\"晴天。\",\"weight\":1}],\"tools\":[{\"type\":"
    "\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":"
    "{\"city\":{\"type\":\"string\"}}}}}]}\r\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"bad \xFF byte\"}]}\n"
    "[1,2,3]\n"
    "\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"no answer\"}],\"extra\":{\"deeply\":{\"nested\":[1,2,3,4,5,6,7,8,9,10]}}}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello there\",\"weight\":2}]}";

static const char preference_data[] =
    "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]},\"preferred_output\":[{\"role\":"
    "\"assistant\",\"content\":\"Hi! How can I help?\"}],\"non_preferred_output\":[{\"role\":\"assistant\","
    "\"content\":\"What do you want?\"}]}\n"
    "{\"input\":{\"messages\":[]},\"preferred_output\":[{\"role\":\"user\",\"content\":\"wrong role\"}]}\n";

static const char completion_data[] =
    "{\"prompt\":\"The capital of France is\",\"completion\":\" Paris.\"}\n"
    "{\"prompt\":\"2+2=\",\"completion\":4}\n"
    "{\"prompt\":\"only a prompt\"}\n";

static char training_path[64];

typedef struct training_case {
    const char *name;
    const char *data; /* NULL: the file at training_path */
    size_t len;
    int format;
    char *golden_json;
    long golden_problems;
} training_case;

static training_case training_cases[] = {
    {"chat", training_data, sizeof training_data - 1, OAI_TRAINING_CHAT, NULL, 0},
    {"chat file", NULL, 0, OAI_TRAINING_CHAT, NULL, 0},
    {"preference", preference_data, sizeof preference_data - 1, OAI_TRAINING_PREFERENCE, NULL, 0},
    {"completion", completion_data, sizeof completion_data - 1, OAI_TRAINING_COMPLETION, NULL, 0},
};
#define TRAINING_CASES (sizeof training_cases / sizeof *training_cases)

static training_case *current_training;

/* Validates buffers and a file that all have problems: the undisturbed run
 * gives OAI_ERR_INVALID_DATA and a report; a run that ran out of memory
 * gives OAI_ERR_OUT_OF_MEMORY and no report, never a different report
 * (a line that could not be parsed for want of memory is no invalid JSON). */
static void scenario_training(run *r)
{
    training_case *t = current_training;
    oai_training_report *report = NULL;
    char *json = NULL;
    oai_status st;

    arm(r);
    if (t->data)
        report = oai_training_report_buffer_new(t->data, t->len, t->format, 40);
    else
        report = oai_training_report_new(training_path, t->format, 40);
    st = report ? oai_training_report_status(report) : OAI_ERR_OUT_OF_MEMORY;
    if (report)
        json = oai_training_report_json_dup(report);
    disarm(r);
    if (st == OAI_ERR_OUT_OF_MEMORY) {
        EXPECT(r, r->injected, "the validator ran out of memory with nothing failing");
        EXPECT(r, report == NULL, "a report came with OAI_ERR_OUT_OF_MEMORY");
    } else {
        EXPECT(r, st == OAI_ERR_INVALID_DATA, "the validator returned %s", oai_status_name(st));
        EXPECT(r, report != NULL, "no report");
        GOLDEN_LONG(r, "the problem count", &t->golden_problems, oai_training_report_problem_count(report));
        EXPECT_MADE(r, json, "oai_training_report_json_dup");
        if (json)
            GOLDEN_TEXT(r, "the report", &t->golden_json, json);
    }
    oai_free(json);
    oai_training_report_free(report);
}

static void test_training(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRAINING_CASES; i++) {
        char name[64];
        snprintf(name, sizeof name, "training %s", training_cases[i].name);
        current_training = &training_cases[i];
        torture(name, scenario_training);
    }
}

/* ------------------------------------------------------------------------ */
/* Webhook verification: the verifier (its secret), then unwrap (OpenSSL's
 * HMAC, the event's JSON), with the official SDKs' test delivery. */

static char *golden_webhook_event;

static void scenario_webhook(run *r)
{
    static const char payload[] =
        "{\"id\": \"evt_685c059ae3a481909bdc86819b066fb6\", \"object\": \"event\", \"created_at\": "
        "1750861210, \"type\": \"response.completed\", \"data\": {\"id\": \"resp_123\"}}";
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {"wh_685c059ae39c8190af8c71ed1022a24d", "1750861210",
                            "v1,invalid v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY="};
    char *json = NULL;

    arm(r);
    oai_webhook *wh = oai_webhook_new(NULL, "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=");
    oai_status st = wh ? oai_webhook_status(wh) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = oai_webhook_set_now_ms(wh, (int64_t)1750861210 * 1000);
    if (st == OAI_OK)
        st = oai_webhook_unwrap(wh, names, values, 3, payload, sizeof payload - 1);
    if (st == OAI_OK)
        json = oai_value_json_dup(oai_webhook_json(wh));
    disarm(r);
    if (st == OAI_ERR_OUT_OF_MEMORY) {
        EXPECT(r, r->injected, "webhook verification ran out of memory with nothing failing");
        EXPECT(r, oai_webhook_json(wh) == NULL, "an event came with OAI_ERR_OUT_OF_MEMORY");
    } else {
        EXPECT(r, st == OAI_OK, "oai_webhook_unwrap returned %s (%s)", oai_status_name(st),
               oai_webhook_error_message(wh) ? oai_webhook_error_message(wh) : "");
        EXPECT_MADE(r, json, "oai_value_json_dup");
        if (json)
            GOLDEN_TEXT(r, "the event", &golden_webhook_event, json);
    }
    oai_free(json);
    oai_webhook_free(wh);
}

static void test_webhook(void **state)
{
    (void)state;
    /* A verifier alive through the runs, as in a host that keeps one: the
     * HMAC context fetched from OpenSSL lives while any verifier does, so the
     * runs do not fetch it again. (A fetch that fails for want of memory
     * leaves OpenSSL's own per-thread error buffer behind, which is not the
     * library's to free.) Where torture() skips, it skips first. */
    if (FA_DISABLED || !interposer_active()) {
        torture("webhook", scenario_webhook);
        return;
    }
    oai_webhook *holder = oai_webhook_new(NULL, "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=");
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {"wh_1", "1", "v1,AAAA"};
    assert_non_null(holder);
    (void)oai_webhook_set_now_ms(holder, 1000);
    assert_int_equal(oai_webhook_verify(holder, names, values, 3, "{}", 2), OAI_ERR_INVALID_DATA);
    torture("webhook", scenario_webhook);
    oai_webhook_free(holder);
}

/* ------------------------------------------------------------------------ */
/* 5 and 6. Through the transport, to the mock server */

static mock_server *server;

static const char server_error_body[] =
    "{\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":"
    "\"server_error\",\"param\":null,\"code\":null}}";

/* Event text gathered without allocating (the callback runs armed). */
typedef struct stream_sink {
    char text[4096];
    size_t len;
    long events;
} stream_sink;

static int sink_event(void *ud, const oai_event *ev)
{
    stream_sink *s = ud;
    size_t n = oai_event_text_len(ev);
    s->events++;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT && n < sizeof s->text - s->len) {
        memcpy(s->text + s->len, oai_event_text(ev), n);
        s->len += n;
        s->text[s->len] = '\0';
    }
    return 0;
}

static oai_status configure_client(oai_client *c)
{
    oai_status st = oai_client_set_base_url(c, mock_server_url(server));
    if (st == OAI_OK)
        st = oai_client_set_api_key(c, "sk-test-torture");
    if (st == OAI_OK)
        st = oai_client_set_retry_backoff_ms(c, 1, 2);
    if (st == OAI_OK) /* a hang shows up as a timeout, not as a stuck suite */
        st = oai_client_set_timeout_ms(c, 10000);
    if (st == OAI_OK && env_long("OAI_TEST_ALLOC_LOG") > 0)
        st = oai_client_set_log_level(c, OAI_LOG_DEBUG);
    return st;
}

static oai_request *chat_request(const char *text)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    if (req && oai_chat_request_add_message(req, "user", text) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Checks a response: NULL or a clean failure only when an allocation
 * failed; on success, the expected text (and retries). */
static void check_response(run *r, const oai_response *res, const char *what, const char *want_text,
                           int want_retries)
{
    EXPECT_MADE(r, res, what);
    if (!res)
        return;
    oai_status st = oai_response_status(res);
    EXPECT(r, status_clean(r, st, 0), "%s: status %s (%s)", what, oai_status_name(st),
           oai_response_error_message(res) ? oai_response_error_message(res) : "no message");
    if (st != OAI_OK)
        return;
    EXPECT(r, oai_response_http_status(res) == 200, "%s: HTTP %d", what, oai_response_http_status(res));
    EXPECT_SAME_TEXT(r, what, oai_response_text(res), want_text);
    /* One retry more when libcurl reported its failure as a network error. */
    if (want_retries >= 0)
        EXPECT(r, oai_response_retry_count(res) == want_retries ||
                      (failed_in_libcurl(r) && oai_response_retry_count(res) == want_retries + 1),
               "%s: %d retries, want %d", what, oai_response_retry_count(res), want_retries);
}

/* The environment a new client reads (on) or none of it (off). */
static void set_client_environment(int on)
{
    static const char *const names[] = {"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID",
                                        "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS"};
    const char *values[] = {"sk-env-torture", mock_server_url(server), "org-torture", "proj-torture",
                            "X-Custom-One: one\nX-Custom-Two: two"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (on)
            setenv(names[i], values[i], 1);
        else
            unsetenv(names[i]);
    }
}

/* A client made from the environment (and then set up) sent everything it
 * was told to. */
static void expect_environment_headers(run *r)
{
    static const char *const want[][2] = {{"Authorization", "Bearer sk-env-torture"},
                                          {"OpenAI-Organization", "org-torture"},
                                          {"OpenAI-Project", "proj-torture"},
                                          {"X-Custom-One", "one"},
                                          {"X-Custom-Two", "two, overridden"},
                                          {"User-Agent", "torture/1.0"}};
    size_t n = mock_server_request_count(server);
    EXPECT(r, n > 0, "the server saw no request");
    const mock_request *last = mock_server_request(server, n - 1);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        EXPECT_SAME_TEXT(r, want[i][0], mock_request_header(last, want[i][0]), want[i][1]);
}

/* A send that is retried once (a scripted 500, then the default answer),
 * then a streamed send. With @p new_client_armed the client is created and
 * configured inside the armed region too. */
static void client_send(run *r, int new_client_armed)
{
    oai_client *c = NULL;
    oai_response *res1 = NULL, *res2 = NULL;
    oai_request *req = NULL;
    oai_status setup = OAI_OK, streaming = OAI_OK;
    static stream_sink sink;
    const char *want = "Echo: Hello, torture test!";

    mock_server_reset(server);
    mock_server_push_simple(server, 500, NULL, server_error_body);
    memset(&sink, 0, sizeof sink);
    if (!new_client_armed) {
        c = oai_client_new();
        assert_non_null(c);
        assert_int_equal(configure_client(c), OAI_OK);
    } else {
        set_client_environment(1);
    }

    arm(r);
    if (new_client_armed) {
        c = oai_client_new(); /* configured from the environment */
        if (c)
            setup = oai_client_set_retry_backoff_ms(c, 1, 2);
        if (c && setup == OAI_OK)
            setup = oai_client_set_timeout_ms(c, 10000);
        if (c && setup == OAI_OK)
            setup = oai_client_set_user_agent(c, "torture/1.0");
        if (c && setup == OAI_OK)
            setup = oai_client_set_header(c, "X-Custom-Two", "two, overridden");
        if (c && setup == OAI_OK)
            setup = oai_client_set_proxy(c, "");
    }
    if (c && setup == OAI_OK)
        req = chat_request("Hello, torture test!");
    if (req) {
        res1 = oai_client_send(c, req);
        streaming = oai_request_set_event_callback(req, sink_event, &sink);
        if (streaming == OAI_OK)
            res2 = oai_client_send(c, req);
    }
    disarm(r);

    if (new_client_armed)
        set_client_environment(0);
    EXPECT_MADE(r, c, "oai_client_new");
    EXPECT_STATUS(r, setup, 0, "configuring the client");
    if (new_client_armed && oai_response_status(res1) == OAI_OK)
        expect_environment_headers(r);
    if (c && setup == OAI_OK)
        EXPECT_MADE(r, req, "building the request");
    if (req) {
        check_response(r, res1, "the retried send", want, 1);
        EXPECT_STATUS(r, streaming, 0, "oai_request_set_event_callback");
    }
    if (streaming == OAI_OK && req) {
        /* The scripted 500 is the streamed send's when the first send
         * failed before it reached the server. */
        check_response(r, res2, "the streamed send", want, oai_response_status(res1) == OAI_OK ? 0 : -1);
        if (oai_response_status(res2) == OAI_OK)
            EXPECT_SAME_TEXT(r, "the streamed events' text", sink.text, want);
    }
    oai_response_free(res1);
    oai_response_free(res2);
    oai_request_free(req);
    oai_client_free(c);
}

static void scenario_send(run *r)
{
    client_send(r, 0);
}

static void scenario_send_new_client(run *r)
{
    client_send(r, 1);
}

static void test_send(void **state)
{
    (void)state;
    torture("send", scenario_send);
}

static void test_send_new_client(void **state)
{
    (void)state;
    torture("send-new-client", scenario_send_new_client);
}

/* Azure OpenAI and the client-wide defaults (docs/azure.md): a client made
 * from the Azure variables, with a default query, copied, the copy given a
 * token callback, and a chat routed to its deployment with a retry (a
 * scripted 500). */
static oai_status torture_token(void *ud, char *token, size_t size)
{
    (void)ud;
    snprintf(token, size, "torture-token");
    return OAI_OK;
}

static void scenario_azure(run *r)
{
    char endpoint[64];
    oai_client *c = NULL, *copy = NULL;
    oai_request *req = NULL;
    oai_response *res = NULL;
    oai_status setup = OAI_OK;

    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", mock_server_port(server));
    mock_server_reset(server);
    mock_server_push_simple(server, 500, NULL, server_error_body);
    setenv("AZURE_OPENAI_ENDPOINT", endpoint, 1);
    setenv("AZURE_OPENAI_API_KEY", "azure-torture", 1);
    setenv("OPENAI_API_VERSION", "2024-10-21", 1);

    arm(r);
    c = oai_client_azure_new();
    if (c)
        setup = oai_client_set_retry_backoff_ms(c, 1, 2);
    if (c && setup == OAI_OK)
        setup = oai_client_set_query(c, "tenant", "t1");
    if (c && setup == OAI_OK)
        setup = oai_client_set_proxy(c, "");
    if (c && setup == OAI_OK && !(copy = oai_client_clone(c)))
        setup = OAI_ERR_OUT_OF_MEMORY;
    if (copy && setup == OAI_OK)
        setup = oai_client_set_token_callback(copy, torture_token, NULL);
    if (copy && setup == OAI_OK)
        req = chat_request("Hello, Azure!");
    if (req)
        res = oai_client_send(copy, req);
    disarm(r);

    unsetenv("AZURE_OPENAI_ENDPOINT");
    unsetenv("AZURE_OPENAI_API_KEY");
    unsetenv("OPENAI_API_VERSION");
    EXPECT_MADE(r, c, "oai_client_azure_new");
    EXPECT_STATUS(r, setup, 0, "configuring the Azure client and its copy");
    if (copy && setup == OAI_OK)
        EXPECT_MADE(r, req, "building the request");
    /* libcurl 7.88 may lose a URL's query when an allocation of its own
     * fails while it writes the request line (curl_url_get() inside
     * curl_multi_perform()): the mock then refuses the request for its
     * missing api-version. Nothing of ours can tell; it is libcurl's. */
    if (req && !(oai_response_status(res) == OAI_ERR_NOT_FOUND && failed_in_libcurl(r)))
        check_response(r, res, "the Azure send", "Echo: Hello, Azure!", 1);
    if (res && oai_response_status(res) == OAI_OK) {
        const mock_request *last = mock_server_request(server, mock_server_request_count(server) - 1);
        EXPECT(r, strncmp(last->path, "/openai/deployments/", 20) == 0, "Azure path %s", last->path);
        EXPECT_SAME_TEXT(r, "the Azure query", last->query, "tenant=t1&api-version=2024-10-21");
        EXPECT_SAME_TEXT(r, "the token", mock_request_header(last, "authorization"), "Bearer torture-token");
    }
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(copy);
    oai_client_free(c);
}

static void test_azure(void **state)
{
    (void)state;
    torture("azure", scenario_azure);
}

static int log_lines;

/* Counts log lines (formatting them is the library's work, armed too). */
static void count_log_line(void *ud, int level, const char *message)
{
    (void)ud;
    (void)level;
    (void)message;
    log_lines++;
}

/* Records a setter's failure inside the armed region, to be judged after
 * it (EXPECT must not run armed). */
static oai_status deferred_status;
#define EXPECT_DEFERRED(r, st)                                                                     \
    do {                                                                                           \
        if ((st) != OAI_OK && deferred_status == OAI_OK)                                           \
            deferred_status = (st);                                                                \
    } while (0)

/* Whether the failed allocation was made inside libcurl's curl_url_get().
 * libcurl 7.88 ignores that failure when it takes the query out of the URL
 * (curl pull request #19594 made it an error upstream, in 2025): the
 * request then goes out without its query, and nothing tells the library. */
static int failed_in_curl_url_get(const run *r)
{
    for (int i = 1; r->injected && i < fa_fail_depth; i++) {
        Dl_info info;
        if (dladdr(fa_fail_frames[i], &info) && info.dli_sname && strcmp(info.dli_sname, "curl_url_get") == 0)
            return 1;
    }
    return 0;
}

/* The request the server saw for asynchronous call @p which (found by its
 * text) went out with what the request and the client asked for. */
static void expect_async_headers(run *r, int which, const char *text)
{
    const mock_request *sent = NULL;
    for (size_t i = 0; i < mock_server_request_count(server); i++) {
        const mock_request *m = mock_server_request(server, i);
        if (m->body && strstr(m->body, text))
            sent = m;
    }
    EXPECT(r, sent != NULL, "the server did not see call %d", which);
    EXPECT_SAME_TEXT(r, "X-Client-Header", mock_request_header(sent, "X-Client-Header"), "client");
    if (which == 0) {
        const char *key = mock_request_header(sent, "Idempotency-Key");
        EXPECT(r, key && strncmp(key, "oai-c-retry-", 12) == 0 && strlen(key) == 12 + 36,
               "the idempotency key is %s", key ? key : "missing");
        if (!(failed_in_curl_url_get(r) && !*sent->query))
            EXPECT_SAME_TEXT(r, "the query", sent->query, "note=a+value%2fwith+spaces+%26+symbols");
        EXPECT(r, mock_request_header(sent, "X-Stainless-OS") != NULL, "X-Stainless-OS is missing");
    } else {
        EXPECT_SAME_TEXT(r, "X-Request-Header", mock_request_header(sent, "X-Request-Header"), "request");
        EXPECT(r, mock_request_header(sent, "X-Stainless-OS") == NULL, "X-Stainless-OS was sent");
    }
}

/* Two asynchronous calls driven by oai_client_poll(). */
typedef struct async_slot {
    int done;
    oai_response *res;
} async_slot;

static void async_done(void *ud, oai_call *call, oai_response *res)
{
    (void)call;
    async_slot *slot = ud;
    slot->done++;
    slot->res = res;
}

static void scenario_async(run *r)
{
    async_slot slots[2];
    oai_call *calls[2] = {NULL, NULL};
    const char *texts[2] = {"first asynchronous call", "second asynchronous call"};
    int polls_failed = 0;

    memset(slots, 0, sizeof slots);
    deferred_status = OAI_OK;
    mock_server_reset(server);
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(configure_client(c), OAI_OK);

    assert_int_equal(oai_client_set_log_level(c, OAI_LOG_DEBUG), OAI_OK);
    assert_int_equal(oai_client_set_log_callback2(c, count_log_line, NULL), OAI_OK);
    assert_int_equal(oai_client_set_header(c, "X-Client-Header", "client"), OAI_OK);

    arm(r);
    for (int i = 0; i < 2; i++) {
        oai_request *req = chat_request(texts[i]);
        oai_status st = OAI_OK;
        /* A generated idempotency key and an encoded query on one, a
         * removed library header and an added one on the other. */
        if (req && i == 0)
            st = oai_request_set_idempotency_key(req, "");
        if (req && i == 0 && st == OAI_OK)
            st = oai_request_set_query(req, "note", "a value/with spaces & symbols");
        if (req && i == 1)
            st = oai_request_set_header(req, "X-Stainless-OS", NULL);
        if (req && i == 1 && st == OAI_OK)
            st = oai_request_set_header(req, "X-Request-Header", "request");
        if (req && st == OAI_OK)
            calls[i] = oai_client_start(c, req, async_done, &slots[i]);
        else
            EXPECT_DEFERRED(r, st);
        oai_request_free(req);
    }
    double deadline = seconds_now() + 20;
    int running = (calls[0] != NULL) + (calls[1] != NULL);
    while (running > 0 && seconds_now() < deadline) {
        int n = oai_client_poll(c, 100);
        if (n < 0)
            polls_failed++;
        else
            running = n;
    }
    disarm(r);

    EXPECT_STATUS(r, deferred_status, 0, "a request setter");
    EXPECT(r, running <= 0, "the calls did not finish within 20 s");
    EXPECT(r, polls_failed == 0 || r->injected, "oai_client_poll failed");
    for (int i = 0; i < 2; i++) {
        EXPECT_MADE(r, calls[i], "oai_client_start");
        if (!calls[i]) {
            EXPECT(r, slots[i].done == 0, "a call that did not start called back");
            continue;
        }
        EXPECT(r, slots[i].done == 1, "call %d called back %d times", i, slots[i].done);
        char want[64];
        snprintf(want, sizeof want, "Echo: %s", texts[i]);
        check_response(r, slots[i].res, "an asynchronous call", want, 0);
        if (oai_response_status(slots[i].res) == OAI_OK)
            expect_async_headers(r, i, texts[i]);
        oai_response_free(slots[i].res);
        oai_call_free(calls[i]);
    }
    oai_client_free(c);
}

static void test_async(void **state)
{
    (void)state;
    torture("async", scenario_async);
}

/* The other endpoints and the response accessors that allocate: the
 * Responses API (text gathered from its output items), embeddings in
 * base64, a JSON sub-document as text, a streamed Responses call. */
typedef struct endpoints_golden {
    char *responses_text;
    char *embedding;
    char *model_json;
    char *stream_text;
} endpoints_golden;

static endpoints_golden endpoints_expect;

/* An embedding's first values as text (outside the armed region). */
static char *describe_embedding(const double *v, size_t dim)
{
    char *out = malloc(64 * (dim + 1));
    size_t n = 0;
    assert_non_null(out);
    n += (size_t)sprintf(out + n, "%zu:", dim);
    for (size_t i = 0; i < dim; i++)
        n += (size_t)sprintf(out + n, " %.9g", v[i]);
    return out;
}

static void scenario_endpoints(run *r)
{
    oai_request *reqs[4] = {NULL, NULL, NULL, NULL};
    oai_response *res[4] = {NULL, NULL, NULL, NULL};
    const char *text = NULL, *model = NULL;
    const double *emb = NULL;
    size_t dim = 0;
    float first[4] = {0};
    size_t copied = 0;
    oai_status st = OAI_OK;
    static stream_sink sink;

    mock_server_reset(server);
    memset(&sink, 0, sizeof sink);
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(configure_client(c), OAI_OK);

    arm(r);
    reqs[0] = oai_response_create_request_new("gpt-4o-mini", "Tell me about the sea");
    reqs[1] = oai_embedding_create_request_new("text-embedding-3-small", "an input to embed");
    if (reqs[1])
        st = oai_request_set_string(reqs[1], "/encoding_format", "base64");
    reqs[2] = oai_model_list_request_new();
    reqs[3] = oai_response_create_request_new("gpt-4o-mini", "Stream about the sea");
    if (reqs[3] && st == OAI_OK)
        st = oai_request_set_event_callback(reqs[3], sink_event, &sink);
    for (int i = 0; i < 4 && st == OAI_OK; i++)
        if (reqs[i])
            res[i] = oai_client_send(c, reqs[i]);
    text = oai_response_text(res[0]);
    emb = oai_response_embedding(res[1], 0, &dim);
    copied = oai_response_embedding_float(res[1], 0, first, 4);
    model = oai_response_get_json_text(res[2], "/data/0");
    disarm(r);

    EXPECT_STATUS(r, st, 0, "setting a request up");
    for (int i = 0; i < 4; i++) {
        EXPECT_MADE(r, reqs[i], "a request helper");
        if (st != OAI_OK || !reqs[i])
            continue;
        EXPECT_MADE(r, res[i], "oai_client_send");
        oai_status rs = oai_response_status(res[i]);
        EXPECT(r, status_clean(r, rs, 0), "send %d: %s (%s)", i, oai_status_name(rs),
               oai_response_error_message(res[i]) ? oai_response_error_message(res[i]) : "no message");
    }
    /* An accessor's cache may fail to fill while memory is short, and then
     * returns NULL; asked again once there is memory, it must answer. */
    if (oai_response_status(res[0]) == OAI_OK) {
        EXPECT_MADE(r, text, "oai_response_text");
        GOLDEN_TEXT(r, "the Responses text", &endpoints_expect.responses_text, oai_response_text(res[0]));
    }
    if (oai_response_status(res[1]) == OAI_OK) {
        EXPECT_MADE(r, emb, "oai_response_embedding");
        EXPECT(r, !emb || copied == dim, "oai_response_embedding_float copied %zu of %zu", copied, dim);
        emb = oai_response_embedding(res[1], 0, &dim);
        EXPECT(r, emb != NULL, "oai_response_embedding gave nothing once memory was back");
        char *e = emb ? describe_embedding(emb, dim) : NULL;
        GOLDEN_TEXT(r, "the embedding", &endpoints_expect.embedding, e);
        free(e);
    }
    if (oai_response_status(res[2]) == OAI_OK) {
        EXPECT_MADE(r, model, "oai_response_get_json_text");
        GOLDEN_TEXT(r, "a model", &endpoints_expect.model_json, oai_response_get_json_text(res[2], "/data/0"));
    }
    if (oai_response_status(res[3]) == OAI_OK) {
        GOLDEN_TEXT(r, "the streamed Responses text", &endpoints_expect.stream_text, oai_response_text(res[3]));
        EXPECT_SAME_TEXT(r, "the streamed events' text", sink.text, endpoints_expect.stream_text);
    }
    for (int i = 0; i < 4; i++) {
        oai_response_free(res[i]);
        oai_request_free(reqs[i]);
    }
    oai_client_free(c);
}

static void test_endpoints(void **state)
{
    (void)state;
    torture("endpoints", scenario_endpoints);
}

/* API errors: nested and flat JSON bodies, a FastAPI body, an HTML page, a
 * 2xx body that is not JSON. Each must keep its status class when memory
 * runs short while its body is read (or become OAI_ERR_OUT_OF_MEMORY), and
 * always carry a message. The details are then best effort: each field is
 * the undisturbed run's or missing, and the message may fall back to the
 * status's own or to the body's text, but is never mangled. */
typedef struct error_case {
    int status;
    const char *content_type;
    const char *body;
    oai_status want;
    char *golden[4]; /* message, type, code and param of the undisturbed run */
} error_case;

static error_case error_cases[] = {
    {400, NULL,
     "{\"error\":{\"message\":\"Invalid 'messages': empty array. Expected an array with minimum length 1.\","
     "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"empty_array\"}}",
     OAI_ERR_BAD_REQUEST, {NULL}},
    {422, NULL,
     "{\"object\":\"error\",\"message\":\"This model's maximum context length is 32768 tokens.\","
     "\"type\":\"BadRequestError\",\"param\":null,\"code\":422}",
     OAI_ERR_UNPROCESSABLE, {NULL}},
    {404, NULL, "{\"detail\":\"Not Found: the requested route does not exist\"}", OAI_ERR_NOT_FOUND, {NULL}},
    {503, "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1>\n</body></html>",
     OAI_ERR_SERVER, {NULL}},
    {429, NULL, "{\"error\":\"Rate limit reached for requests, please slow down and try again\"}",
     OAI_ERR_RATE_LIMIT, {NULL}},
    {200, NULL, "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,", OAI_ERR_PROTOCOL, {NULL}},
};
#define ERROR_CASES (sizeof error_cases / sizeof *error_cases)

/* The message an error body that could not be read as JSON gets. */
static int is_text_error(const char *msg, const error_case *e)
{
    char want[512];
    size_t n = strlen(e->body) < 200 ? strlen(e->body) : 200;
    int at = snprintf(want, sizeof want, "HTTP %d: ", e->status);
    for (size_t i = 0; i < n; i++)
        want[at + (int)i] = (unsigned char)e->body[i] < 32 || e->body[i] == 127 ? ' ' : e->body[i];
    want[at + (int)n] = '\0';
    return strcmp(msg, want) == 0;
}

static void check_error_fields(run *r, const oai_response *res, error_case *e)
{
    static const char *const names[4] = {"the error message", "the error type", "the error code",
                                         "the error param"};
    const char *f[4] = {oai_response_error_message(res), oai_response_error_type(res),
                        oai_response_error_code(res), oai_response_error_param(res)};
    if (!r->injected) {
        for (int i = 0; i < 4; i++)
            GOLDEN_TEXT(r, names[i], &e->golden[i], f[i]);
        return;
    }
    for (int i = 1; i < 4; i++)
        if (f[i])
            EXPECT_SAME_TEXT(r, names[i], f[i], e->golden[i]);
    if (e->golden[0] && strcmp(f[0], e->golden[0]) == 0)
        return;
    EXPECT(r, strcmp(f[0], oai_status_message(oai_response_status(res))) == 0 || is_text_error(f[0], e),
           "HTTP %d: the error message is %s", e->status, f[0]);
}

static void scenario_errors(run *r)
{
    oai_response *res[ERROR_CASES];
    oai_request *req = NULL;
    size_t i;

    memset(res, 0, sizeof res);
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(configure_client(c), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(c, 0), OAI_OK);

    for (i = 0; i < ERROR_CASES; i++) {
        error_case *e = &error_cases[i];
        mock_reply reply = {.status = e->status, .body = e->body, .content_type = e->content_type};
        mock_server_reset(server);
        mock_server_push(server, &reply);
        arm(r);
        req = chat_request("Provoke an error");
        if (req)
            res[i] = oai_client_send(c, req);
        oai_request_free(req);
        disarm(r);
        EXPECT_MADE(r, req, "building the request");
        if (!req)
            break;
        EXPECT_MADE(r, res[i], "oai_client_send");
        if (!res[i])
            break;
        oai_status st = oai_response_status(res[i]);
        /* Retries are off here: libcurl's failure taken for a network error stays one. */
        EXPECT(r, st == e->want || (r->injected && st == OAI_ERR_OUT_OF_MEMORY) ||
                      (failed_in_libcurl(r) && (st == OAI_ERR_CONNECTION || st == OAI_ERR_TOO_LARGE)),
               "HTTP %d: %s, want %s", e->status, oai_status_name(st), oai_status_name(e->want));
        EXPECT(r, oai_response_error_message(res[i]) != NULL, "HTTP %d: a failed response without a message",
               e->status);
        if (st != e->want)
            break;
        check_error_fields(r, res[i], e);
    }
    for (i = 0; i < ERROR_CASES; i++)
        oai_response_free(res[i]);
    oai_client_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    torture("errors", scenario_errors);
}

/* A multipart upload (a form field, a file part streamed from disk, a part
 * from memory) to the mock's files API, then the file's content downloaded
 * into an output file. */
static char upload_path[64], download_path[64];
static const char upload_data[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"bye\"},{\"role\":\"assistant\",\"content\":\"goodbye\"}]}\n";

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void scenario_files(run *r)
{
    oai_request *up = NULL, *down = NULL;
    oai_response *res_up = NULL, *res_down = NULL;
    oai_status st = OAI_OK;
    char path[128];

    mock_server_reset(server);
    unlink(download_path);
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(configure_client(c), OAI_OK);

    arm(r);
    up = oai_request_new("POST", "/files");
    if (up)
        st = oai_request_add_form_field(up, "purpose", "fine-tune");
    if (up && st == OAI_OK)
        st = oai_request_add_file_part(up, "file", upload_path, "train.jsonl", "application/jsonl");
    if (up && st == OAI_OK)
        st = oai_request_add_data_part(up, "note", "a note kept in memory", 21, "note.txt", NULL);
    if (up && st == OAI_OK)
        res_up = oai_client_send(c, up);
    const char *id = oai_response_get_string(res_up, "/id");
    if (id) {
        snprintf(path, sizeof path, "/files/%s/content", id);
        down = oai_request_new("GET", path);
        if (down)
            st = oai_request_set_output_file(down, download_path);
        if (down && st == OAI_OK)
            res_down = oai_client_send(c, down);
    }
    disarm(r);

    EXPECT_MADE(r, up, "oai_request_new");
    EXPECT_STATUS(r, st, 0, "building the requests");
    if (up && st == OAI_OK) {
        EXPECT_MADE(r, res_up, "the upload");
        EXPECT(r, status_clean(r, oai_response_status(res_up), 0), "the upload: %s (%s)",
               oai_status_name(oai_response_status(res_up)),
               oai_response_error_message(res_up) ? oai_response_error_message(res_up) : "");
        if (oai_response_status(res_up) == OAI_OK) {
            /* The answer's tree is built at its first accessor, which may
             * fail while memory is short; asked again, it must answer. */
            EXPECT(r, id != NULL || r->injected, "the upload's answer has no id");
            EXPECT(r, oai_response_get_string(res_up, "/id") != NULL, "the upload's answer has no id");
            EXPECT_SAME_TEXT(r, "the uploaded file's name", oai_response_get_string(res_up, "/filename"),
                             "train.jsonl");
            EXPECT(r, oai_response_get_int(res_up, "/bytes") == (int64_t)(sizeof upload_data - 1),
                   "the server got %lld bytes", (long long)oai_response_get_int(res_up, "/bytes"));
        }
    }
    if (id) {
        EXPECT_MADE(r, down, "oai_request_new");
        if (down && st == OAI_OK) {
            EXPECT_MADE(r, res_down, "the download");
            EXPECT(r, status_clean(r, oai_response_status(res_down), 0), "the download: %s",
                   oai_status_name(oai_response_status(res_down)));
            if (oai_response_status(res_down) == OAI_OK) {
                char *got = read_whole(download_path);
                EXPECT_SAME_TEXT(r, "the downloaded file", got, upload_data);
                free(got);
            }
        }
    }
    oai_response_free(res_up);
    oai_response_free(res_down);
    oai_request_free(up);
    oai_request_free(down);
    oai_client_free(c);
}

static void test_files(void **state)
{
    (void)state;
    torture("files", scenario_files);
}

/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    void *frames[4];
    /* backtrace() loads libgcc_s on first use: do it now, not inside malloc. */
    backtrace(frames, 4);
    /* Once-per-process state the scenarios' warm-up runs may not reach:
     * OpenSSL's default context and this thread's random generator (used
     * for retry jitter only once an attempt failed), jansson's hash seed,
     * libcurl's global initialisation. */
    (void)oai__random_unit();
    oai__json_decref(oai__json_object());
    oai_client_free(oai_client_new());
    fa_trace = env_long("OAI_TEST_ALLOC_TRACE") > 0;
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    snprintf(upload_path, sizeof upload_path, "/tmp/oai-torture-up-%ld.jsonl", (long)getpid());
    snprintf(download_path, sizeof download_path, "/tmp/oai-torture-down-%ld.bin", (long)getpid());
    snprintf(training_path, sizeof training_path, "/tmp/oai-torture-train-%ld.jsonl", (long)getpid());
    FILE *t = fopen(training_path, "wb");
    if (!t || fwrite(training_data, 1, sizeof training_data - 1, t) != sizeof training_data - 1 || fclose(t) != 0)
        return -1;
    FILE *f = fopen(upload_path, "wb");
    if (!f || fwrite(upload_data, 1, sizeof upload_data - 1, f) != sizeof upload_data - 1 || fclose(f) != 0)
        return -1;
    server = mock_server_start();
    return server ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    mock_server_stop(server);
    server = NULL;
    unlink(upload_path);
    unlink(download_path);
    unlink(training_path);
    return 0;
}

/* The library's allocator hook (oai_set_allocator): every allocation of
 * the library, jansson and libcurl passes through these on its way to the
 * interposed malloc above, so the suite fails them through the hook. */
static void *hook_malloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}

static void *hook_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    return realloc(p, n);
}

static void hook_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

int main(void)
{
    if (oai_set_allocator(hook_malloc, hook_realloc, hook_free, NULL) != OAI_OK) {
        fprintf(stderr, "oai_set_allocator failed before any allocation\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_transcripts),
        cmocka_unit_test(test_training),
        cmocka_unit_test(test_webhook),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_send_new_client),
        cmocka_unit_test(test_azure),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
