#ifndef CADRE_STRING_H
#define CADRE_STRING_H

#include <stdbool.h>
#include <stddef.h>

/* The compilers emit calls to these even in freestanding code (struct copies), so they exist. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);
/* Copies src with every byte outside printable ASCII (CR, LF, ESC, ...) written as \xNN, for
 * printing text that came from outside.  Always terminates dst; returns strlen(dst). */
size_t str_escape(char *dst, size_t size, const char *src);
/* Parses an unsigned number in base 10, or 16 with a 0x prefix, filling the whole string.
 * Returns 0, or -1 for an empty, malformed or too large value. */
int parse_u64(const char *s, unsigned long long *out);
/* A number as parse_u64 reads it, within [lo, hi]; 0 and *out set, or -1 (v NULL, not a number,
 * out of range) with *out untouched.  For the kernel parameters' N. */
int parse_uint_range(const char *v, unsigned lo, unsigned hi, unsigned *out);
/* "0" or "1" as false or true; 0 and *out set, or -1 with *out untouched. */
int parse_01(const char *v, bool *out);

#endif
