/* A very small unit test harness for the host-side tests: CHECK macros count failures inside the
 * running test, run_test() prints one line per test, check_report() the final tally. */
#ifndef CADRE_TEST_CHECK_H
#define CADRE_TEST_CHECK_H

#include <stdbool.h>

void check_true(bool ok, const char *expr, const char *file, int line);
void check_eq(unsigned long long got, unsigned long long want, const char *expr, const char *file,
              int line);
void check_str(const char *got, const char *want, const char *expr, const char *file, int line);

#define CHECK(cond) check_true(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(got, want) \
    check_eq((unsigned long long)(got), (unsigned long long)(want), #got, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)

/* Runs `fn` and prints "ok   <suite>: <name>" or "FAIL <suite>: <name>". */
void run_test(const char *suite, const char *name, void (*fn)(void));
/* Prints "N passed, M failed"; returns the process exit status. */
int check_report(void);

#endif
