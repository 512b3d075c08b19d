#include "debug/ksyms.h"

#include "lib/printf.h"
#include "lib/string.h"

struct ksym {
    uint64_t addr;
    uint32_t size;
    uint32_t name;
};

struct ksyms_header {
    uint64_t count;
    uint64_t strings_offset;
    struct ksym syms[];
};

extern const struct ksyms_header ksyms;
extern const char _text_start[], _text_end[];

static const char *name_of(const struct ksym *s)
{
    return (const char *)&ksyms + ksyms.strings_offset + s->name;
}

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
    if (addr < (uintptr_t)_text_start || addr >= (uintptr_t)_text_end || !ksyms.count)
        return NULL;
    /* The last symbol at or below addr. */
    uint64_t lo = 0, hi = ksyms.count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksyms.syms[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    const struct ksym *s = &ksyms.syms[lo];
    if (s->addr > addr)
        return NULL;
    if (s->size && addr - s->addr >= s->size) {
        /* Past the end of a sized symbol: padding between functions, or code nm cannot name. */
        if (lo + 1 < ksyms.count || addr - s->addr >= 0x10000)
            return NULL;
    }
    *offset = addr - s->addr;
    return name_of(s);
}

void ksym_format(uintptr_t addr, char *buf, size_t size)
{
    uintptr_t off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        snprintf(buf, size, "%s+0x%lx", name, (unsigned long)off);
    else
        snprintf(buf, size, "?");
}
