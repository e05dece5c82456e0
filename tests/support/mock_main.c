/* oai-mock-server: the scripted mock server as a standalone local demo
 * server. With an empty script every request goes to the built-in
 * OpenAI-compatible handler (see mock_openai.h).
 *
 *   oai-mock-server [--port N] [--port-file PATH]
 *
 * Prints "http://127.0.0.1:PORT/v1" on stdout, writes PORT to PATH when
 * asked, and serves until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server.h"

static void usage(FILE *out)
{
    fputs("usage: oai-mock-server [--port N] [--port-file PATH]\n"
          "Serves a deterministic OpenAI-compatible API on 127.0.0.1 (port 0: any\n"
          "free port), prints its base URL and runs until SIGTERM or SIGINT.\n",
          out);
}

static int parse_port(const char *text, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

/* Returns 0 to run, 1 when --help was shown, -1 on a usage error. */
static int parse_args(int argc, char **argv, int *port, const char **port_file)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--port") == 0 && i + 1 < argc) {
            if (parse_port(argv[++i], port) != 0) {
                fprintf(stderr, "oai-mock-server: invalid port '%s'\n", argv[i]);
                return -1;
            }
        } else if (strcmp(arg, "--port-file") == 0 && i + 1 < argc) {
            *port_file = argv[++i];
        } else {
            fprintf(stderr, "oai-mock-server: unexpected argument '%s'\n", arg);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int write_port_file(const char *path, int port)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%d\n", port) > 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *port_file = NULL;
    int rc = parse_args(argc, argv, &port, &port_file);
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

    mock_server *ms = mock_server_start_port(port);
    if (!ms) {
        fprintf(stderr, "oai-mock-server: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    printf("%s\n", mock_server_url(ms));
    fflush(stdout);
    if (port_file && write_port_file(port_file, mock_server_port(ms)) != 0) {
        fprintf(stderr, "oai-mock-server: cannot write %s\n", port_file);
        mock_server_stop(ms);
        return 1;
    }

    int sig = 0;
    sigwait(&stop_signals, &sig);
    mock_server_stop(ms);
    return 0;
}
