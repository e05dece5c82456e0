/* Runs a program as a child process for the tests (the CLI, the examples):
 * its stdin, captured stdout and stderr, and exit status. */
#ifndef OAI_CHILD_PROCESS_H
#define OAI_CHILD_PROCESS_H

#include <stdio.h>
#include <sys/types.h>

/* What a child did. */
typedef struct run_result {
    int exit_code; /* the exit status, or 128 + signal when killed */
    char *out;     /* everything it wrote to stdout (NUL-terminated) */
    char *err;     /* everything it wrote to stderr */
} run_result;

/* Runs argv (argv[0] is the program's path) with our environment minus
 * OPENAI_* plus OPENAI_BASE_URL/OPENAI_API_KEY when given, @p input (may be
 * NULL) on its stdin, and captures its output. Fails the running cmocka
 * test on any error, and kills a child that runs over a minute. */
void run_program(run_result *r, const char *base_url, const char *api_key,
                 const char *input, char *const argv[]);

void run_result_free(run_result *r);

/* A program left running in the background (a server), its stdout and
 * stderr going to temporary files. */
typedef struct background {
    pid_t pid;      /* 0 once reaped */
    int exit_code;  /* once reaped */
    FILE *out;
    FILE *err;
} background;

/* Starts argv as run_program() does (same environment, stdin empty) but
 * returns at once. Fails the running cmocka test on any error. */
void background_start(background *b, char *const argv[]);

/* Whether it is still running (0 once it exited; then it is reaped and
 * background_stop() only collects its output). */
int background_running(background *b);

/* Sends SIGTERM (unless it exited), waits for it like run_program() and
 * captures its exit status and output into r (free with
 * run_result_free()). */
void background_stop(background *b, run_result *r);

/* Fail the running cmocka test, showing both strings, unless @p needle does
 * (does not) occur in @p haystack. Include <cmocka.h> first. */
#define assert_contains(haystack, needle)                                      \
    do {                                                                       \
        if (!strstr((haystack), (needle)))                                     \
            fail_msg("expected \"%s\" in:\n%s", (needle), (haystack));         \
    } while (0)

#define assert_not_contains(haystack, needle)                                  \
    do {                                                                       \
        if (strstr((haystack), (needle)))                                      \
            fail_msg("did not expect \"%s\" in:\n%s", (needle), (haystack));   \
    } while (0)

#endif
