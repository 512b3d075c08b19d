#include "lib/string.h"

#include <stdbool.h>

#include <stdint.h>

/* rep movsb / rep stosb rather than loops: a compiler may turn a copy loop back into a call to
 * memcpy itself.  The kernel runs with DF clear (the interrupt entry clears it too). */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        memcpy(d, s, n);
    } else if (n) {
        /* Overlapping with dst above src: copy from the end, with DF set for that copy only. */
        unsigned char *dl = d + n - 1;
        const unsigned char *sl = s + n - 1;
        __asm__ volatile("std; rep movsb; cld" : "+D"(dl), "+S"(sl), "+c"(n) : : "memory");
    }
    return dst;
}

/* Whole quadwords first where dst is 8-aligned: an emulator (QEMU's TCG) runs `rep stos` one
 * element per step, so 8-byte elements make zeroing a page table or a per-CPU area 8 times
 * cheaper there; hardware does either at about the same speed (SDM vol. 1 §7.3.9.3). */
void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    if (!((uintptr_t)d & 7) && n >= 8) {
        size_t q = n / 8;
        uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
        __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
        n &= 7;
    }
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    do {
        if (*s == (char)c)
            last = s;
    } while (*s++);
    return (char *)last;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

size_t strlcat(char *dst, const char *src, size_t size)
{
    size_t used = strnlen(dst, size);
    if (used == size)
        return size + strlen(src);
    return used + strlcpy(dst + used, src, size - used);
}

int parse_u64(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

int parse_uint_range(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    unsigned long long n;
    if (!v || parse_u64(v, &n) || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int parse_01(const char *v, bool *out)
{
    if (!v || (strcmp(v, "0") && strcmp(v, "1")))
        return -1;
    *out = v[0] == '1';
    return 0;
}

size_t str_escape(char *dst, size_t size, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (!size)
        return 0;
    for (; *src; src++) {
        unsigned char c = (unsigned char)*src;
        bool plain = c >= ' ' && c < 0x7f;
        if (o + (plain ? 1 : 4) >= size)
            break;
        if (plain) {
            dst[o++] = (char)c;
            continue;
        }
        dst[o++] = '\\';
        dst[o++] = 'x';
        dst[o++] = hex[c >> 4];
        dst[o++] = hex[c & 0xf];
    }
    dst[o] = '\0';
    return o;
}
