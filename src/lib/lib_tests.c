/* In-kernel tests of the small C library the console stands on. */
#include "ktest/ktest.h"
#include "lib/printf.h"
#include "lib/string.h"

static void expect_fmt(const char *want, const char *fmt, ...) __printf(2, 3);
static void expect_fmt(const char *want, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    KEXPECTF(!strcmp(buf, want) && n == (int)strlen(want),
             "\"%s\" gave \"%s\" (%d), expected \"%s\"", fmt, buf, n, want);
}

KTEST(printf_formats)
{
    expect_fmt("-42 42 4294967254", "%d %i %u", -42, 42, -42);
    expect_fmt("ff FF 0xff 377", "%x %X %#x %o", 255, 255, 255, 255);
    expect_fmt("ffffffffffffffff 18446744073709551615", "%lx %llu", ~0UL, ~0ULL);
    expect_fmt("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
    expect_fmt("0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
    expect_fmt("[   7] [7   ] [0007] [  -7] [-007]", "[%4d] [%-4d] [%04d] [%4d] [%04d]", 7, 7, 7,
               -7, -7);
    expect_fmt("[  ab] [ab  ] [a]", "[%4s] [%-4s] [%.1s]", "ab", "ab", "ab");
    expect_fmt("c %", "%c %%", 'c');
    const char *volatile null_string =
        NULL; /* volatile: the compiler would reject a literal NULL */
    expect_fmt("(null)", "%s", null_string);
    expect_fmt("[  5]", "[%*d]", 3, 5);
    char small[4];
    int n = snprintf(small, sizeof small, "%s", "truncated");
    KEXPECTF(n == 9 && !strcmp(small, "tru"), "truncation: %d \"%s\"", n, small);
}

KTEST(string_functions)
{
    char buf[16];
    KEXPECT(strlcpy(buf, "cadre", sizeof buf) == 5 && !strcmp(buf, "cadre"));
    KEXPECT(strlcat(buf, "-smp", sizeof buf) == 9 && !strcmp(buf, "cadre-smp"));
    KEXPECT(strlcpy(buf, "0123456789abcdefXYZ", sizeof buf) == 19 && strlen(buf) == 15);
    memmove(buf + 2, buf, 8);
    KEXPECT(!memcmp(buf, "0101234567", 10));
    memmove(buf, buf + 2, 8);
    KEXPECT(!memcmp(buf, "01234567", 8));
    unsigned long long v;
    KEXPECT(!parse_u64("0x1f", &v) && v == 31);
    KEXPECT(!parse_u64("255", &v) && v == 255);
    KEXPECT(parse_u64("", &v) && parse_u64("12x", &v) && parse_u64("99999999999999999999", &v));
}
