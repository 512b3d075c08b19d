/* Deliberate faults, for checking the reports themselves (test=fault:NAME, docs/testing.md).
 * Each lives in its own function so the report's RIP names it. */
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "lib/string.h"

/* An address the boot page tables do not map once the identity map is gone. */
#define UNMAPPED_ADDRESS 0xcafe0000UL
/* Bit 63 set but not bits 48-62: not canonical (SDM vol. 1 §3.3.7.1), so #GP, not #PF. */
#define NONCANONICAL_ADDRESS 0x8000000000000000UL

__noinline void fault_raise_de(void);
__noinline void fault_raise_de(void) { __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "eax", "ecx", "edx"); }
__noinline void fault_raise_ud(void);
__noinline void fault_raise_ud(void) { __asm__ volatile("ud2"); }
__noinline void fault_raise_bp(void);
__noinline void fault_raise_bp(void) { __asm__ volatile("int3"); }
__noinline void fault_raise_gp(void);
__noinline void fault_raise_gp(void) { (void)*(volatile uint64_t *)NONCANONICAL_ADDRESS; }
__noinline void fault_raise_pf(void);
__noinline void fault_raise_pf(void) { (void)*(volatile uint64_t *)UNMAPPED_ADDRESS; }

/* Overwrites everything between a local array and the saved frame pointer, which is where
 * both compilers keep the canary copy; the check before `ret` must catch it. */
__noinline void fault_smash_canary(void);
__noinline void fault_smash_canary(void)
{
    char buf[16];
    char *volatile p = buf;
    size_t n = (size_t)((char *)__builtin_frame_address(0) - p);
    memset(p, 0x41, n);
}

static const struct {
    const char *name;
    void (*raise)(void);
    const char *what;
} faults[] = {
    { "de", fault_raise_de, "#DE: divide by zero" },
    { "ud", fault_raise_ud, "#UD: ud2" },
    { "bp", fault_raise_bp, "#BP: int3" },
    { "gp", fault_raise_gp, "#GP: read of a non-canonical address" },
    { "pf", fault_raise_pf, "#PF: read of unmapped address 0xcafe0000" },
    { "canary", fault_smash_canary, "stack protector: overwrite the canary" },
};

bool fault_raise(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
        if (strcmp(name, faults[i].name))
            continue;
        kprintf("test: raising %s deliberately", faults[i].what);
        faults[i].raise();
        return false;
    }
    console_lock();
    kprintf("test: warning: no fault named '%s'; known:", name);
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
        kprintf("  fault:%-8s %s", faults[i].name, faults[i].what);
    console_unlock();
    return false;
}
