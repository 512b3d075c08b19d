#include "debug/backtrace.h"

#include "core/console.h"
#include "debug/ksyms.h"
#include "debug/stacks.h"

/* A frame as the compiler lays it out with frame pointers: [rbp] = caller's rbp,
 * [rbp + 8] = return address. */
unsigned backtrace_collect(uintptr_t rbp, uintptr_t *out, unsigned max)
{
    struct stack_info st;
    unsigned n = 0;
    if (!rbp || !stack_find(rbp, &st))
        return 0;
    while (n < max && rbp && (rbp & 7) == 0 && rbp >= st.lo && rbp + 16 <= st.hi) {
        const uintptr_t *frame = (const uintptr_t *)rbp;
        uintptr_t next = frame[0], ret = frame[1];
        if (!ret)
            break;
        out[n++] = ret;
        if (next <= rbp)
            break; /* frames go up the stack; anything else is the end or garbage */
        rbp = next;
    }
    return n;
}

/* A return address points after its call, which may be the last instruction of a function:
 * name the byte before it, print the offset of the address itself. */
static void print_frame(unsigned n, uintptr_t addr, bool is_return)
{
    uintptr_t off;
    const char *name = ksym_lookup(is_return ? addr - 1 : addr, &off);
    if (name)
        kprintf("    #%-2u %016lx %s+0x%lx", n, (unsigned long)addr, name,
                (unsigned long)off + (is_return ? 1 : 0));
    else
        kprintf("    #%-2u %016lx ?", n, (unsigned long)addr);
}

static void print_trace(uintptr_t first, bool first_is_return, uintptr_t rbp)
{
    uintptr_t frames[BACKTRACE_MAX + 1];
    unsigned n = backtrace_collect(rbp, frames, BACKTRACE_MAX + 1);
    console_lock();
    kprintf("  backtrace:");
    print_frame(0, first, first_is_return);
    for (unsigned i = 0; i < n && i < BACKTRACE_MAX; i++)
        print_frame(i + 1, frames[i], true);
    if (n > BACKTRACE_MAX)
        kprintf("    (more frames not shown)");
    console_unlock();
}

void backtrace_print(uintptr_t rip, uintptr_t rbp) { print_trace(rip, false, rbp); }
void backtrace_print_from_return(uintptr_t ret, uintptr_t rbp) { print_trace(ret, true, rbp); }
