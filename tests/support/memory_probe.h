/* Peak memory of the test process, for the tests that assert bounded
 * memory (long streams, 200 MB uploads and downloads). */
#ifndef OAI_MEMORY_PROBE_H
#define OAI_MEMORY_PROBE_H

/* Peak resident set size (VmHWM) in KiB, or -1; resets the peak first when
 * asked and the kernel allows it (/proc/self/clear_refs). */
long peak_rss_kb(int reset);

/* 0 under ASan/MSan or valgrind, which keep freed blocks in quarantine (or
 * count their own), so the process's peak memory then says nothing about
 * the library's: tests report their figures but check bounds only when
 * this is 1. */
int memory_bound_checked(void);

#endif
