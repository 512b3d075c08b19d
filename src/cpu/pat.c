#include "cpu/pat.h"

#include "cpu/cpu.h"

/* Memory type encodings (SDM vol. 3A §13.12.1, table 13-10) */
#define PAT_UC 0x00ull
#define PAT_WC 0x01ull
#define PAT_WT 0x04ull
#define PAT_WB 0x06ull
#define PAT_UC_MINUS 0x07ull
#define PAT_ENTRY(i, type) ((type) << (8 * (i)))

/* The power-on table (§13.12.4: WB, WT, UC-, UC, twice) with PA1 made WC.  A PTE selects entry
 * PAT*4 + PCD*2 + PWT: PWT alone is PA1, PCD|PWT is PA3 (UC, what ioremap uses), no bit is PA0
 * (WB).  Nothing in cadre uses PWT alone for anything else, so changing PA1 changes no mapping
 * already made. */
#define PAT_VALUE                                                               \
    (PAT_ENTRY(0, PAT_WB) | PAT_ENTRY(1, PAT_WC) | PAT_ENTRY(2, PAT_UC_MINUS) | \
     PAT_ENTRY(3, PAT_UC) | PAT_ENTRY(4, PAT_WB) | PAT_ENTRY(5, PAT_WT) |       \
     PAT_ENTRY(6, PAT_UC_MINUS) | PAT_ENTRY(7, PAT_UC))

static bool has_wc;

void pat_init(void)
{
    if (!(cpuid(1, 0).edx & CPUID_1_EDX_PAT))
        return;
    /* No page uses PA1 before this runs, so no cache or TLB flush is needed for the change
     * (the full procedure of §13.12.4 is for entries that mappings already use). */
    if (rdmsr(MSR_PAT) != PAT_VALUE)
        wrmsr(MSR_PAT, PAT_VALUE);
    __atomic_store_n(&has_wc, true, __ATOMIC_RELEASE);
}

bool pat_has_wc(void) { return __atomic_load_n(&has_wc, __ATOMIC_ACQUIRE); }

uint64_t pat_wc_bits(void) { return pat_has_wc() ? PTE_PWT : PTE_PCD | PTE_PWT; }
