/*
 * Ctrl-C during uploads and downloads: SIGINT sets a flag, and the
 * transfer's progress and data callbacks return non-zero once it is set,
 * which cancels the call the library's way (its temporary download file is
 * removed, an existing target is left as it was). Killing the process
 * outright would leave that temporary file behind.
 *
 * SPDX-License-Identifier: MIT
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;

/* What SIGINT did before cli_catch_interrupt(), restored after the call. */
static struct sigaction previous;
static int caught;

/* Sets the flag, and gives SIGINT back its default action, so that a
 * second Ctrl-C kills a transfer that never reaches a callback (signal()
 * is async-signal-safe). */
static void on_sigint(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL);
}

/** Installs the SIGINT handler (without SA_RESTART, so that a wait is
 *  woken up at once). A SIGINT that was ignored stays ignored: a shell
 *  starts background jobs that way so that Ctrl-C leaves them alone. */
void cli_catch_interrupt(void)
{
    struct sigaction sa;

    interrupted = 0;
    if (sigaction(SIGINT, NULL, &previous) != 0 || previous.sa_handler == SIG_IGN)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    caught = sigaction(SIGINT, &sa, NULL) == 0;
}

/** Gives SIGINT back the action it had (the flag keeps its value). */
void cli_release_interrupt(void)
{
    if (caught)
        sigaction(SIGINT, &previous, NULL);
    caught = 0;
}

int cli_interrupted(void)
{
    return interrupted != 0;
}

int cli_report_interrupted(void)
{
    cli_end_line();
    fflush(stdout);
    fputs("oai: interrupted\n", stderr);
    return CLI_EXIT_INTERRUPTED;
}
