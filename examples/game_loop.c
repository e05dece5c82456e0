/*
 * game_loop.c — chats, an upload and a fine-tuning job from a 60 fps loop.
 *
 * A game's main thread must never wait on the network. Here a fixed 60
 * frames/s loop does, at the same time:
 *   - several streamed chat completions, their text shown as it grows,
 *   - the upload of a small training file,
 *   - a fine-tuning job created on that file, followed to its end (its
 *     events shown as they come),
 * with one oai_client_poll(client, 0) per frame under a poll budget, and
 * no C callback at all: everything is pulled (oai_call_next_event(),
 * oai_call_is_done(), oai_call_take_response()), as an FFI host (LuaJIT,
 * C#, Python) would do it. Each frame's time inside the library is
 * measured, and the summary gives the worst frame and the 99th percentile.
 * Each line of progress starts with its frame's number (f12: frame 12); a
 * chat's line shows the end of its answer so far.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_game_loop [--budget-us N] [--streams N] [--poll-ms N] [BASE_URL]
 *
 *   --budget-us N  the poll budget in microseconds (default 1000; 0: none)
 *   --streams N    how many chats stream at once (default 4, at most 16)
 *   --poll-ms N    how often the job is checked (default 200)
 *
 * The base URL is BASE_URL, else OPENAI_BASE_URL, else OpenAI's. On OpenAI
 * a job takes minutes to hours and costs money: check it every few seconds
 * (--poll-ms 10000) rather than five times a second. The tests run this
 * program against their mock server, whose jobs succeed in a few checks.
 * It exits with 0 only when every chat finished and the job succeeded.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <oai.h>

#define FRAME_US 16667 /* 60 frames/s */
#define MAX_STREAMS 16
#define SHOWN_BYTES 60 /* how much of a growing answer a line shows */
#define CHAT_MODEL "gpt-4o-mini"
#define BASE_MODEL "gpt-4o-mini-2024-07-18"

static const char *const prompts[] = {
    "Name three colours of a sunset.",   "Give a knight a battle cry.",
    "Describe a tavern in one sentence.", "What does a dragon hoard?",
    "Invent a name for a magic sword.",  "Say hello in five languages.",
    "Write a riddle about a key.",       "Describe rain on a tin roof.",
};

/* ---- the clock: frames, and the library's share of each ------------------ */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(int64_t t)
{
    int64_t left = t - now_us();
    if (left > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(left / 1000000);
        ts.tv_nsec = (long)(left % 1000000) * 1000;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* Every call into the library is bracketed by lib_enter()/lib_leave(), so
 * that printing (our own work) does not count. */
typedef struct frame_stats {
    int64_t entered;  /* when the current library call began */
    int64_t frame_us; /* the library's share of this frame so far */
    int64_t *samples; /* one per finished frame */
    size_t count, cap;
} frame_stats;

static frame_stats stats;

static void lib_enter(void)
{
    stats.entered = now_us();
}

static void lib_leave(void)
{
    stats.frame_us += now_us() - stats.entered;
}

/* Records the frame that ends; returns -1 when memory ran out. */
static int end_frame(void)
{
    if (stats.count == stats.cap) {
        size_t cap = stats.cap ? stats.cap * 2 : 1024;
        int64_t *grown = realloc(stats.samples, cap * sizeof *grown);
        if (!grown)
            return -1;
        stats.samples = grown;
        stats.cap = cap;
    }
    stats.samples[stats.count++] = stats.frame_us;
    stats.frame_us = 0;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- what the loop keeps track of ------------------------------------------ */

typedef struct chat {
    oai_call *call; /* NULL once it ended */
    char *text;     /* the answer so far */
    size_t len, cap;
    int saw_done;   /* the stream ended normally ([DONE]) */
    int ok;         /* ... and the call succeeded */
} chat;

typedef struct game {
    oai_client *client;
    chat chats[MAX_STREAMS];
    int chat_count, chats_running;
    char dir[64], path[96]; /* the training file */
    oai_call *upload, *create, *follow; /* the job's steps, one at a time */
    char *job_status, *model;
    int job_over, job_ok;
    int frame;
} game;

static char *dup_string(const char *s)
{
    char *copy = s ? malloc(strlen(s) + 1) : NULL;
    if (copy)
        strcpy(copy, s);
    return copy;
}

/* Prints why a call failed: the API's message and the request id. */
static void print_error(const char *what, const oai_response *res)
{
    oai_status status = oai_response_status(res);
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    fprintf(stderr, "error: %s: %s: %s", what, oai_status_name(status),
            message ? message : oai_status_message(status));
    if (request_id)
        fprintf(stderr, " (request id %s)", request_id);
    fputc('\n', stderr);
}

/* ---- the training file ------------------------------------------------------ */

/* A few conversations in the chat format, in a file of a new temporary
 * directory (fine-tuning wants a .jsonl name). OpenAI asks for at least
 * 10 examples. */
static int write_training_file(game *g)
{
    static const char *const items[][2] = {
        { "a sword", "Fine steel, 40 gold." },      { "a shield", "Oak and iron, 25 gold." },
        { "a potion", "Red heals, blue mends: 10 gold." }, { "a map", "The old roads, 5 gold." },
        { "a lantern", "Burns all night, 3 gold." }, { "a rope", "Fifty feet, 2 gold." },
        { "a bow", "Yew, with a quiver: 30 gold." }, { "boots", "Elven-made, 60 gold." },
        { "a helmet", "Dented, but honest: 15 gold." }, { "bread", "Fresh today, 1 copper." },
    };
    const char *tmp = getenv("TMPDIR");
    FILE *f;
    size_t i;

    snprintf(g->dir, sizeof g->dir, "%s/game_loop-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(g->dir)) {
        g->dir[0] = '\0';
        return -1;
    }
    snprintf(g->path, sizeof g->path, "%s/shopkeeper.jsonl", g->dir);
    f = fopen(g->path, "w");
    if (!f)
        return -1;
    for (i = 0; i < sizeof items / sizeof items[0]; i++)
        fprintf(f,
                "{\"messages\": ["
                "{\"role\": \"system\", \"content\": \"You are the shopkeeper of a village.\"}, "
                "{\"role\": \"user\", \"content\": \"Do you sell %s?\"}, "
                "{\"role\": \"assistant\", \"content\": \"%s\"}]}\n",
                items[i][0], items[i][1]);
    return fclose(f) == 0 ? 0 : -1;
}

static void remove_training_file(game *g)
{
    if (g->path[0])
        remove(g->path);
    if (g->dir[0])
        rmdir(g->dir);
}

/* ---- starting the work ----------------------------------------------------------- */

/* A streamed chat: with oai_request_set_stream() and no event callback,
 * its events queue in the call for oai_call_next_event(). */
static oai_call *start_chat(oai_client *client, const char *prompt)
{
    oai_request *req = oai_chat_completion_create_request_new(CHAT_MODEL);
    oai_call *call = NULL;

    if (oai_chat_request_add_message(req, "user", prompt) == OAI_OK &&
        oai_request_set_int(req, "/max_tokens", 200) == OAI_OK &&
        oai_request_set_stream(req, 1) == OAI_OK)
        call = oai_client_start(client, req, NULL, NULL); /* no callback: pulled */
    oai_request_free(req); /* the call has its own copy */
    return call;
}

/* The upload: a multipart request, streamed from disk. (For files of
 * hundreds of MB, oai_large_upload_start() is the same call in parts.) */
static oai_call *start_upload(oai_client *client, const char *path)
{
    oai_request *req = oai_file_create_request_new(path, "fine-tune");
    oai_call *call;

    if (oai_request_status(req) != OAI_OK) {
        fprintf(stderr, "error: %s\n", req ? oai_request_error_message(req) : "out of memory");
        oai_request_free(req);
        return NULL;
    }
    call = oai_client_start(client, req, NULL, NULL);
    oai_request_free(req);
    return call;
}

static oai_call *start_job(oai_client *client, const char *file_id)
{
    oai_request *req = oai_fine_tuning_job_create_request_new(BASE_MODEL, file_id);
    oai_call *call = NULL;

    if (oai_request_set_string(req, "/method/type", "supervised") == OAI_OK &&
        oai_request_set_int(req, "/method/supervised/hyperparameters/n_epochs", 3) == OAI_OK)
        call = oai_client_start(client, req, NULL, NULL);
    oai_request_free(req);
    return call;
}

/* ---- one frame's work ----------------------------------------------------------- */

static int append(chat *ch, const char *text, size_t len)
{
    if (ch->len + len + 1 > ch->cap) {
        size_t cap = (ch->len + len + 1) * 2;
        char *grown = realloc(ch->text, cap);
        if (!grown)
            return -1;
        ch->text = grown;
        ch->cap = cap;
    }
    memcpy(ch->text + ch->len, text, len);
    ch->len += len;
    ch->text[ch->len] = '\0';
    return 0;
}

/* One line: the end of the answer so far, on one line. */
static void show_chat(const game *g, int index)
{
    const chat *ch = &g->chats[index];
    size_t start = ch->len > SHOWN_BYTES ? ch->len - SHOWN_BYTES : 0;
    size_t i;

    while (start < ch->len && (ch->text[start] & 0xC0) == 0x80)
        start++; /* not in the middle of a UTF-8 character */
    printf("f%-4d chat %d | %s", g->frame, index + 1, start > 0 ? "..." : "");
    for (i = start; i < ch->len; i++)
        putchar(ch->text[i] == '\n' || ch->text[i] == '\r' || ch->text[i] == '\t' ? ' ' : ch->text[i]);
    putchar('\n');
}

/* Takes every event a chat has queued, and its response once it ended. */
static void update_chat(game *g, int index)
{
    chat *ch = &g->chats[index];
    size_t before = ch->len;
    const oai_event *ev;
    oai_response *res = NULL;
    int failed = 0, done;

    lib_enter();
    while (oai_call_next_event(ch->call, &ev) == OAI_OK && ev) {
        int type = oai_event_type_of(ev);
        if (type == OAI_EVENT_TEXT && oai_event_text(ev))
            failed |= append(ch, oai_event_text(ev), oai_event_text_len(ev)) != 0;
        else if (type == OAI_EVENT_DONE)
            ch->saw_done = 1;
    }
    done = oai_call_is_done(ch->call);
    if (done)
        res = oai_call_take_response(ch->call); /* ours now */
    lib_leave();

    if (ch->len != before)
        show_chat(g, index);
    if (!done && !failed)
        return;
    /* It ended: an error, or a stream without [DONE], is a failure. */
    ch->ok = !failed && oai_response_status(res) == OAI_OK && ch->saw_done;
    if (failed)
        fprintf(stderr, "error: chat %d: out of memory\n", index + 1);
    else if (oai_response_status(res) != OAI_OK) {
        char what[32];
        snprintf(what, sizeof what, "chat %d", index + 1);
        print_error(what, res);
    } else if (!ch->saw_done)
        fprintf(stderr, "error: chat %d: the stream ended early\n", index + 1);
    printf("f%-4d chat %d %s (%zu bytes)\n", g->frame, index + 1, ch->ok ? "done" : "FAILED", ch->len);
    lib_enter();
    oai_response_free(res);
    oai_call_free(ch->call);
    lib_leave();
    ch->call = NULL;
    g->chats_running--;
}

/* The job's steps, one call at a time: upload, create, follow. */
static void job_failed(game *g)
{
    g->job_over = 1;
    g->job_ok = 0;
}

static void update_upload(game *g)
{
    oai_response *res;
    const char *file_id;
    int done;

    lib_enter();
    done = oai_call_is_done(g->upload);
    res = done ? oai_call_take_response(g->upload) : NULL; /* ours now */
    lib_leave();
    if (!done)
        return;
    if (oai_response_status(res) != OAI_OK) {
        print_error("upload", res);
        job_failed(g);
    } else {
        lib_enter();
        file_id = oai_response_get_string(res, "/id");
        g->create = file_id ? start_job(g->client, file_id) : NULL;
        lib_leave();
        printf("f%-4d upload: %s is %s\n", g->frame, strrchr(g->path, '/') + 1,
               file_id ? file_id : "(no id)");
        if (!g->create) {
            fprintf(stderr, "error: cannot start the fine-tuning job\n");
            job_failed(g);
        }
    }
    lib_enter();
    oai_response_free(res);
    oai_call_free(g->upload);
    lib_leave();
    g->upload = NULL;
}

static void update_create(game *g, int64_t poll_ms)
{
    oai_response *res;
    const char *job_id;
    int done;

    lib_enter();
    done = oai_call_is_done(g->create);
    res = done ? oai_call_take_response(g->create) : NULL; /* ours now */
    lib_leave();
    if (!done)
        return;
    if (oai_response_status(res) != OAI_OK) {
        print_error("create the fine-tuning job", res);
        job_failed(g);
    } else {
        lib_enter();
        job_id = oai_response_get_string(res, "/id");
        /* The follower checks the job every poll_ms (an engine timer, not a
         * sleep); its events, like a stream's, wait in the call. */
        g->follow = job_id ? oai_client_start_follow_fine_tuning_job(g->client, job_id, poll_ms, NULL,
                                                                     NULL, NULL, NULL)
                           : NULL;
        lib_leave();
        printf("f%-4d job %s: %s\n", g->frame, job_id ? job_id : "(no id)",
               oai_response_get_string(res, "/status"));
        if (!g->follow) {
            fprintf(stderr, "error: cannot follow the fine-tuning job\n");
            job_failed(g);
        }
    }
    lib_enter();
    oai_response_free(res);
    oai_call_free(g->create);
    lib_leave();
    g->create = NULL;
}

static void update_follow(game *g)
{
    const oai_event *ev;
    oai_response *res;
    const char *status, *model;
    int done;

    for (;;) {
        const char *level = NULL, *message = NULL;
        lib_enter();
        if (oai_call_next_event(g->follow, &ev) == OAI_OK && ev &&
            oai_event_type_of(ev) == OAI_EVENT_ITEM) { /* one event of the job */
            level = oai_event_get_string(ev, "/level");
            message = oai_event_get_string(ev, "/message");
        }
        lib_leave();
        if (!ev)
            break;
        if (message) /* valid until the next call on g->follow */
            printf("f%-4d job event [%s] %s\n", g->frame, level ? level : "-", message);
    }
    lib_enter();
    done = oai_call_is_done(g->follow);
    res = done ? oai_call_take_response(g->follow) : NULL; /* ours now */
    lib_leave();
    if (!done)
        return;
    /* The last retrieval of the job: its status and the new model. */
    status = oai_response_get_string(res, "/status");
    model = oai_response_get_string(res, "/fine_tuned_model");
    g->job_over = 1;
    g->job_status = dup_string(status);
    if (oai_response_status(res) != OAI_OK) {
        print_error("follow the fine-tuning job", res);
    } else {
        g->model = dup_string(model);
        g->job_ok = status && strcmp(status, "succeeded") == 0 && model;
        printf("f%-4d job %s: %s\n", g->frame, status ? status : "over", model ? model : "no model");
        if (!g->job_ok) {
            const char *why = oai_response_get_string(res, "/error/message");
            fprintf(stderr, "error: the job is %s: %s\n", status ? status : "over",
                    why ? why : "no model was made");
        }
    }
    lib_enter();
    oai_response_free(res);
    oai_call_free(g->follow);
    lib_leave();
    g->follow = NULL;
}

/* ---- the program ----------------------------------------------------------------- */

typedef struct options {
    int64_t budget_us;
    int streams;
    int64_t poll_ms;
    const char *base_url;
} options;

static int parse_options(int argc, char **argv, options *o)
{
    int i;
    o->budget_us = 1000;
    o->streams = 4;
    o->poll_ms = 200;
    o->base_url = getenv("OPENAI_BASE_URL"); /* NULL: the client's default */
    for (i = 1; i < argc; i++) {
        char *end = NULL;
        long long v = 0;
        if (argv[i][0] != '-') {
            o->base_url = argv[i];
            continue;
        }
        if (i + 1 < argc)
            v = strtoll(argv[i + 1], &end, 10);
        if (!end || *end || end == argv[i + 1])
            return -1;
        if (strcmp(argv[i], "--budget-us") == 0 && v >= 0)
            o->budget_us = v;
        else if (strcmp(argv[i], "--streams") == 0 && v >= 1 && v <= MAX_STREAMS)
            o->streams = (int)v;
        else if (strcmp(argv[i], "--poll-ms") == 0 && v >= 10)
            o->poll_ms = v;
        else
            return -1;
        i++;
    }
    return 0;
}

static void print_summary(const game *g)
{
    size_t chars = 0, n = stats.count;
    int i, ok = 0;
    int64_t worst = 0, p99 = 0, p50 = 0;

    if (n > 0) {
        qsort(stats.samples, n, sizeof *stats.samples, cmp_i64);
        worst = stats.samples[n - 1];
        p99 = stats.samples[(n * 99 + 99) / 100 - 1]; /* the nearest rank */
        p50 = stats.samples[(n + 1) / 2 - 1];
    }
    for (i = 0; i < g->chat_count; i++) {
        const chat *ch = &g->chats[i];
        size_t j;
        ok += ch->ok;
        for (j = 0; j < ch->len; j++)
            chars += (ch->text[j] & 0xC0) != 0x80; /* UTF-8 characters, not bytes */
    }
    printf("\n");
    for (i = 0; i < g->chat_count; i++)
        printf("chat %d: %s\n", i + 1, g->chats[i].text ? g->chats[i].text : "");
    printf("\nsummary\n");
    printf("  frames:               %d (%.2f s at 60 frames/s)\n", g->frame, g->frame * (FRAME_US / 1e6));
    printf("  library time / frame: worst %.3f ms, p99 %.3f ms, median %.3f ms\n", worst / 1000.0,
           p99 / 1000.0, p50 / 1000.0);
    printf("  streams:              %d of %d finished, %zu characters\n", ok, g->chat_count, chars);
    printf("  job:                  %s\n", g->job_status ? g->job_status : "unknown (see the error above)");
    printf("  fine-tuned model:     %s\n", g->model ? g->model : "none");
}

int main(int argc, char **argv)
{
    options opt;
    game g;
    int i, exit_code = 1;
    int64_t next_frame;

    memset(&g, 0, sizeof g);
    if (parse_options(argc, argv, &opt) != 0) {
        fprintf(stderr, "usage: %s [--budget-us N] [--streams N] [--poll-ms N] [BASE_URL]\n", argv[0]);
        return 2;
    }
    if (write_training_file(&g) != 0) {
        fprintf(stderr, "error: cannot write the training file\n");
        remove_training_file(&g);
        return 1;
    }

    /* The client reads OPENAI_API_KEY (and OPENAI_BASE_URL). The budget
     * bounds the work of each poll: what is left waits for the next. */
    g.client = oai_client_new();
    if (!g.client || (opt.base_url && *opt.base_url && oai_client_set_base_url(g.client, opt.base_url) != OAI_OK) ||
        oai_client_set_poll_budget_us(g.client, opt.budget_us) != OAI_OK) {
        fprintf(stderr, "error: cannot set up the client (is the base URL valid?)\n");
        oai_client_free(g.client);
        remove_training_file(&g);
        return 1;
    }
    printf("%d streamed chats, an upload and a fine-tuning job at 60 frames/s; poll budget %lld us\n",
           opt.streams, (long long)opt.budget_us);

    /* Everything starts in the first frame; nothing waits. */
    lib_enter();
    for (i = 0; i < opt.streams; i++) {
        g.chats[i].call = start_chat(g.client, prompts[i % (int)(sizeof prompts / sizeof prompts[0])]);
        if (!g.chats[i].call)
            break;
    }
    g.upload = start_upload(g.client, g.path);
    lib_leave();
    g.chat_count = g.chats_running = i;
    if (i < opt.streams || !g.upload) {
        fprintf(stderr, "error: cannot start the calls\n");
        g.job_over = 1;
    }

    next_frame = now_us();
    while (g.chats_running > 0 || !g.job_over) {
        int running;

        /* One poll per frame: the I/O that is ready, within the budget. */
        lib_enter();
        running = oai_client_poll(g.client, 0);
        lib_leave();
        if (running < 0) {
            fprintf(stderr, "error: poll: %s\n", oai_status_name((oai_status)-running));
            break;
        }
        /* Take what arrived. */
        for (i = 0; i < g.chat_count; i++)
            if (g.chats[i].call)
                update_chat(&g, i);
        if (g.upload)
            update_upload(&g);
        else if (g.create)
            update_create(&g, opt.poll_ms);
        else if (g.follow)
            update_follow(&g);
        fflush(stdout);

        /* The rest of the frame is the game's: here, it sleeps. */
        g.frame++;
        if (end_frame() != 0) {
            fprintf(stderr, "error: out of memory\n");
            break;
        }
        next_frame += FRAME_US;
        if (next_frame < now_us())
            next_frame = now_us(); /* late: do not try to catch up */
        sleep_until(next_frame);
    }

    print_summary(&g);
    exit_code = g.chat_count == opt.streams && g.job_ok ? 0 : 1;
    for (i = 0; i < g.chat_count; i++) {
        exit_code |= !g.chats[i].ok;
        oai_call_free(g.chats[i].call); /* NULL unless the loop broke off */
        free(g.chats[i].text);
    }
    oai_call_free(g.upload);
    oai_call_free(g.create);
    oai_call_free(g.follow);
    oai_client_free(g.client);
    free(g.job_status);
    free(g.model);
    free(stats.samples);
    remove_training_file(&g);
    return exit_code;
}
