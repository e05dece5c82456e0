/* oai-mock-server: the scripted mock server as a standalone local server,
 * for the demo and for testing applications (docs/testing-your-app.md).
 * Replies scripted with --script (mock_script.h) come first; every other
 * request goes to the built-in OpenAI-compatible handler (mock_openai.h,
 * mock_state.h).
 *
 *   oai-mock-server [--port N] [--port-file PATH] [--script FILE]
 *                   [--stream-delay-ms N] [--stream-pieces N]
 *
 * Prints "http://127.0.0.1:PORT/v1" on stdout, writes PORT to PATH when
 * asked, and serves until SIGTERM or SIGINT. Exits 2 on a usage error or a
 * bad script, 1 when it cannot listen.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_script.h"
#include "mock_server.h"
#include "mock_state.h"

typedef struct options {
    int port;
    const char *port_file;
    const char *script;
    int stream_delay_ms;
    int stream_pieces;
} options;

static void usage(void)
{
    fputs("usage: oai-mock-server [--port N] [--port-file PATH] [--script FILE]\n"
          "                       [--stream-delay-ms N] [--stream-pieces N]\n"
          "Serves a deterministic OpenAI-compatible API on 127.0.0.1, prints its base\n"
          "URL and runs until SIGTERM or SIGINT.\n"
          "  --port N             listen on port N (default 0: any free port)\n"
          "  --port-file PATH     write the port to PATH once listening\n"
          "  --script FILE        answer with the replies of FILE (a JSON list) first,\n"
          "                       then with the built-in handler\n"
          "  --stream-delay-ms N  wait N ms between the built-in handler's stream events\n"
          "  --stream-pieces N    cut its streamed answers into N events (default 4; at\n"
          "                       most one per token)\n"
          "See docs/testing-your-app.md.\n",
          stdout);
}

static int parse_number(const char *text, long max, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* Takes the option at argv[*i] (and its value). 0 when taken, -1 on an
 * error (reported). */
static int take_option(int argc, char **argv, int *i, options *o)
{
    const char *arg = argv[*i];
    const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
    static const char *const known[] = {"--port", "--stream-delay-ms", "--stream-pieces",
                                        "--port-file", "--script"};
    int bad = 0;
    for (size_t k = 0; !value && k < sizeof known / sizeof known[0]; k++)
        if (strcmp(arg, known[k]) == 0) {
            fprintf(stderr, "oai-mock-server: %s needs a value\n", arg);
            return -1;
        }
    if (strcmp(arg, "--port") == 0)
        bad = parse_number(value, 65535, &o->port) != 0;
    else if (strcmp(arg, "--stream-delay-ms") == 0)
        bad = parse_number(value, 60000, &o->stream_delay_ms) != 0;
    else if (strcmp(arg, "--stream-pieces") == 0)
        bad = parse_number(value, 10000000, &o->stream_pieces) != 0 || o->stream_pieces == 0;
    else if (strcmp(arg, "--port-file") == 0)
        o->port_file = value;
    else if (strcmp(arg, "--script") == 0)
        o->script = value;
    else {
        fprintf(stderr, "oai-mock-server: unexpected argument '%s'\n", arg);
        return -1;
    }
    if (bad) {
        fprintf(stderr, "oai-mock-server: invalid value '%s' for %s\n", value, arg);
        return -1;
    }
    (*i)++;
    return 0;
}

/* Returns 0 to run, 1 when --help was shown, -1 on a usage error. */
static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 1;
        }
        if (take_option(argc, argv, &i, o) != 0) {
            fputs("Run 'oai-mock-server --help' for the options.\n", stderr);
            return -1;
        }
    }
    return 0;
}

/* Writes the port to a temporary name and renames it into place, so that
 * whoever waits for the file never reads it half-written. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%d\n", port) > 0;
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    if (!ok)
        remove(tmp);
    return ok ? 0 : -1;
}

/* Applies the options to a started server; 0 to serve, else the exit
 * status. */
static int configure(mock_server *ms, const options *o)
{
    char err[1024];
    /* A long-running server must not grow with its traffic. */
    mock_server_set_recording(ms, 0);
    mock_server_set_stream_delay_ms(ms, o->stream_delay_ms);
    mock_server_set_stream_pieces(ms, o->stream_pieces);
    if (o->script && mock_script_load(ms, o->script, err, sizeof err) < 0) {
        fprintf(stderr, "oai-mock-server: %s\n", err);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o = {0, NULL, NULL, 0, 0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;

    /* Block the stop signals before any thread exists, so every server
     * thread inherits the mask and sigwait() below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    mock_server *ms = mock_server_start_port(o.port);
    if (!ms) {
        fprintf(stderr, "oai-mock-server: cannot listen on 127.0.0.1:%d\n", o.port);
        return 1;
    }
    rc = configure(ms, &o);
    if (rc != 0) {
        mock_server_stop(ms);
        return rc;
    }
    printf("%s\n", mock_server_url(ms));
    fflush(stdout);
    if (o.port_file && write_port_file(o.port_file, mock_server_port(ms)) != 0) {
        fprintf(stderr, "oai-mock-server: cannot write %s\n", o.port_file);
        mock_server_stop(ms);
        return 1;
    }

    int sig = 0;
    sigwait(&stop_signals, &sig);
    mock_server_stop(ms);
    mock_state_reset();   /* frees the files, uploads, jobs and batches */
    return 0;
}
