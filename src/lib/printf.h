#ifndef CADRE_PRINTF_H
#define CADRE_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/compiler.h"

/* A small printf: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', width and precision
 * (numbers or '*'), length modifiers hh h l ll z t.  Returns the length the whole output would
 * have had; writes at most size-1 characters and always terminates when size > 0. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
