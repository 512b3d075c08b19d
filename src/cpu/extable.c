#include "cpu/extable.h"

extern const struct extable_entry __extable_start[], __extable_end[];

bool extable_fixup(struct regs *r)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == r->rip) {
            r->rip = e->fixup;
            return true;
        }
    }
    return false;
}
