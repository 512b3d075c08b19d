#include "core/cmdline.h"

#include "core/console.h"
#include "lib/string.h"

extern const struct kernel_param __kparam_start[], __kparam_end[];

static const struct kernel_param *find(const char *name)
{
    for (const struct kernel_param *p = __kparam_start; p < __kparam_end; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

/* Splits off the next option into key / value (both in `buf`); returns the rest, or NULL at the
 * end.  A malformed option (unterminated quote, empty key) sets *error. */
/* CR and LF separate options too: a command-line file written with an editor ends in one. */
static bool separator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static const char *next_option(const char *s, char *buf, size_t size, char **value,
                               const char **error)
{
    while (separator(*s))
        s++;
    if (!*s)
        return NULL;
    size_t n = 0;
    bool quoted = false, too_long = false;
    *value = NULL;
    *error = NULL;
    for (; *s && (quoted || !separator(*s)); s++) {
        if (*s == '"') {
            quoted = !quoted;
            continue;
        }
        if (n + 1 >= size) {
            too_long = true;
            continue;
        }
        if (*s == '=' && !*value && !quoted) {
            buf[n++] = '\0';
            *value = &buf[n];
            continue;
        }
        buf[n++] = *s;
    }
    buf[n] = '\0';
    if (quoted)
        *error = "unterminated quote";
    else if (too_long)
        *error = "too long";
    else if (!buf[0])
        *error = "empty option name";
    return s;
}

unsigned cmdline_apply(const char *cmdline)
{
    char buf[CMDLINE_MAX];
    char *value;
    const char *error;
    unsigned rejected = 0;
    for (const char *s = cmdline; (s = next_option(s, buf, sizeof buf, &value, &error));) {
        if (error) {
            kprintf("cmdline: warning: malformed option '%s': %s (ignored)", buf, error);
            rejected++;
            continue;
        }
        const struct kernel_param *p = find(buf);
        if (!p) {
            kprintf("cmdline: warning: unknown option '%s%s%s' (ignored)", buf, value ? "=" : "",
                    value ? value : "");
            rejected++;
            continue;
        }
        const char *why = p->set(value);
        if (why) {
            kprintf("cmdline: warning: option '%s%s%s': %s (ignored)", buf, value ? "=" : "",
                    value ? value : "", why);
            rejected++;
        }
    }
    return rejected;
}
