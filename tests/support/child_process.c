/* Child processes for the tests; see child_process.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "child_process.h"

extern char **environ;

/* The environment for a child: ours without OPENAI_* (so a developer's real
 * settings cannot leak into a test), plus the given base URL and key. */
static char **child_environment(const char *base_url, const char *api_key)
{
    size_t n = 0, count = 0;
    char **env;

    while (environ[count])
        count++;
    env = calloc(count + 3, sizeof *env);
    assert_non_null(env);
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "OPENAI_", 7) != 0)
            env[n++] = strdup(environ[i]);
    if (base_url)
        assert_true(asprintf(&env[n++], "OPENAI_BASE_URL=%s", base_url) > 0);
    if (api_key)
        assert_true(asprintf(&env[n++], "OPENAI_API_KEY=%s", api_key) > 0);
    return env;
}

static void free_environment(char **env)
{
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

/* Reads a whole (temporary) file from its start. */
static char *slurp(FILE *f)
{
    long size;
    char *text;

    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    return text;
}

static int exit_code_of(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits up to a minute for the child; kills it after that. */
static int wait_for(pid_t pid)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    int status = 0;

    for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return exit_code_of(status);
        assert_true(done == 0 || errno == EINTR);
        nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("the child did not finish within a minute");
    return -1;
}

/* Runs argv (argv[0] is the program's path) with the environment above,
 * @p input (may be NULL) on its stdin, and captures its output. */
void run_program(run_result *r, const char *base_url, const char *api_key,
                        const char *input, char *const argv[])
{
    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    char **env = child_environment(base_url, api_key);
    posix_spawn_file_actions_t actions;
    pid_t pid;

    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(err);
    if (input) {
        fputs(input, in);
        fflush(in);
        rewind(in);
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fileno(in), 0);
    posix_spawn_file_actions_adddup2(&actions, fileno(out), 1);
    posix_spawn_file_actions_adddup2(&actions, fileno(err), 2);
    assert_int_equal(posix_spawn(&pid, argv[0], &actions, NULL, argv, env), 0);
    posix_spawn_file_actions_destroy(&actions);
    free_environment(env);

    r->exit_code = wait_for(pid);
    r->out = slurp(out);
    r->err = slurp(err);
    fclose(in);
    fclose(out);
    fclose(err);
}

void run_result_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

void background_start(background *b, char *const argv[])
{
    char **env = child_environment(NULL, NULL);
    posix_spawn_file_actions_t actions;

    memset(b, 0, sizeof *b);
    b->out = tmpfile();
    b->err = tmpfile();
    assert_non_null(b->out);
    assert_non_null(b->err);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fileno(b->out), 1);
    posix_spawn_file_actions_adddup2(&actions, fileno(b->err), 2);
    assert_int_equal(posix_spawn(&b->pid, argv[0], &actions, NULL, argv, env), 0);
    posix_spawn_file_actions_destroy(&actions);
    free_environment(env);
}

int background_running(background *b)
{
    int status = 0;
    if (b->pid > 0 && waitpid(b->pid, &status, WNOHANG) == b->pid) {
        b->exit_code = exit_code_of(status);
        b->pid = 0;
    }
    return b->pid > 0;
}

void background_stop(background *b, run_result *r)
{
    if (background_running(b)) {
        kill(b->pid, SIGTERM);
        b->exit_code = wait_for(b->pid);
        b->pid = 0;
    }
    r->exit_code = b->exit_code;
    r->out = slurp(b->out);
    r->err = slurp(b->err);
    fclose(b->out);
    fclose(b->err);
    b->out = b->err = NULL;
}
