#include "lib/printf.h"

#include <stdint.h>

struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, written or not */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

static void put_number(struct out *o, unsigned long long v, bool negative, unsigned base,
                       bool upper, int flags, int width, int precision, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (precision == 0 && n == 1 && tmp[0] == '0')
        n = 0; /* "%.0d" of 0 prints nothing, as C says */

    char sign = negative ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
    int plen = 0;
    while (prefix && prefix[plen])
        plen++;
    int zeros = precision > n ? precision - n : 0;
    int body = n + zeros + plen + (sign ? 1 : 0);
    if (precision < 0 && (flags & F_ZERO) && !(flags & F_LEFT) && width > body) {
        zeros += width - body;
        body = width;
    }
    if (!(flags & F_LEFT))
        pad(o, ' ', width - body);
    if (sign)
        put(o, sign);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        pad(o, ' ', width - body);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                flags |= F_LEFT;
            else if (*fmt == '0')
                flags |= F_ZERO;
            else if (*fmt == '+')
                flags |= F_PLUS;
            else if (*fmt == ' ')
                flags |= F_SPACE;
            else if (*fmt == '#')
                flags |= F_ALT;
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int precision = -1;
        if (*fmt == '.') {
            fmt++;
            precision = 0;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                if (precision < 0)
                    precision = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    precision = precision * 10 + (*fmt++ - '0');
            }
        }
        int length = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t */
        if (*fmt == 'h') {
            length = -1;
            if (*++fmt == 'h') {
                length = -2;
                fmt++;
            }
        } else if (*fmt == 'l') {
            length = 1;
            if (*++fmt == 'l') {
                length = 2;
                fmt++;
            }
        } else if (*fmt == 'z' || *fmt == 't') {
            length = 3;
            fmt++;
        }

        unsigned long long u;
        long long s;
        switch (*fmt) {
            case 'd':
            case 'i':
                switch (length) {
                    case -2: s = (signed char)va_arg(ap, int); break;
                    case -1: s = (short)va_arg(ap, int); break;
                    case 0: s = va_arg(ap, int); break;
                    case 1: s = va_arg(ap, long); break;
                    case 3: s = va_arg(ap, ptrdiff_t); break;
                    default: s = va_arg(ap, long long); break;
                }
                u = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
                put_number(&o, u, s < 0, 10, false, flags, width, precision, NULL);
                break;
            case 'u':
            case 'x':
            case 'X':
            case 'o':
                switch (length) {
                    case -2: u = (unsigned char)va_arg(ap, unsigned); break;
                    case -1: u = (unsigned short)va_arg(ap, unsigned); break;
                    case 0: u = va_arg(ap, unsigned); break;
                    case 1: u = va_arg(ap, unsigned long); break;
                    case 3: u = va_arg(ap, size_t); break;
                    default: u = va_arg(ap, unsigned long long); break;
                }
                /* '#': 0x / 0X before a non-zero hex number, a leading 0 for octal */
                put_number(&o, u, false,
                           *fmt == 'u'   ? 10
                           : *fmt == 'o' ? 8
                                         : 16,
                           *fmt == 'X', flags & ~(F_PLUS | F_SPACE), width, precision,
                           !(flags & F_ALT) || !u ? NULL
                           : *fmt == 'x'          ? "0x"
                           : *fmt == 'X'          ? "0X"
                           : *fmt == 'o'          ? "0"
                                                  : NULL);
                break;
            case 'p':
                u = (uintptr_t)va_arg(ap, void *);
                put_number(&o, u, false, 16, false, flags | F_ZERO, width ? width : 18, 16, "0x");
                break;
            case 'c':
                if (!(flags & F_LEFT))
                    pad(&o, ' ', width - 1);
                put(&o, (char)va_arg(ap, int));
                if (flags & F_LEFT)
                    pad(&o, ' ', width - 1);
                break;
            case 's': {
                const char *str = va_arg(ap, const char *);
                if (!str)
                    str = "(null)";
                int n = 0;
                while (str[n] && (precision < 0 || n < precision))
                    n++;
                if (!(flags & F_LEFT))
                    pad(&o, ' ', width - n);
                for (int i = 0; i < n; i++)
                    put(&o, str[i]);
                if (flags & F_LEFT)
                    pad(&o, ' ', width - n);
                break;
            }
            case '%': put(&o, '%'); break;
            case '\0':
                fmt--; /* a lone '%' at the end: print it and stop */
                put(&o, '%');
                break;
            default: /* unknown conversion: show it as written, so the mistake is visible */
                put(&o, '%');
                put(&o, *fmt);
                break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
