#include "check.h"

#include <stdio.h>
#include <string.h>

static unsigned failures_in_test, passed, failed;

void check_true(bool ok, const char *expr, const char *file, int line)
{
    if (ok)
        return;
    failures_in_test++;
    printf("  %s:%d: CHECK(%s) failed\n", file, line, expr);
}

void check_eq(unsigned long long got, unsigned long long want, const char *expr, const char *file,
              int line)
{
    if (got == want)
        return;
    failures_in_test++;
    printf("  %s:%d: %s is 0x%llx (%llu), expected 0x%llx (%llu)\n", file, line, expr, got, got,
           want, want);
}

void check_str(const char *got, const char *want, const char *expr, const char *file, int line)
{
    if (got && want && !strcmp(got, want))
        return;
    failures_in_test++;
    printf("  %s:%d: %s is \"%s\", expected \"%s\"\n", file, line, expr, got ? got : "(null)",
           want ? want : "(null)");
}

void run_test(const char *suite, const char *name, void (*fn)(void))
{
    failures_in_test = 0;
    fn();
    if (failures_in_test)
        failed++;
    else
        passed++;
    printf("%s %s: %s\n", failures_in_test ? "FAIL" : "ok  ", suite, name);
    fflush(stdout);
}

int check_report(void)
{
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
