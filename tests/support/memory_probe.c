/* See memory_probe.h. */
#include "memory_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_INSTRUMENTED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define MEMORY_INSTRUMENTED_BUILD 1
#endif
#endif
#ifndef MEMORY_INSTRUMENTED_BUILD
#define MEMORY_INSTRUMENTED_BUILD 0
#endif

long peak_rss_kb(int reset)
{
    if (reset) {
        FILE *c = fopen("/proc/self/clear_refs", "w");
        if (c) {
            fputs("5", c);
            fclose(c);
        }
    }
    FILE *s = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (s && fgets(line, sizeof line, s))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (s)
        fclose(s);
    return kb;
}

int memory_bound_checked(void)
{
    /* valgrind preloads its core into every process it runs. */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        return 0;
    return !MEMORY_INSTRUMENTED_BUILD;
}
