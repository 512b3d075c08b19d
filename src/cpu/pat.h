/* The page attribute table (SDM vol. 3A §13.12): which memory type a page's PAT/PCD/PWT bits
 * select.  cadre keeps the power-on table but for one entry, PA1, which it makes write-combining
 * (Linux does the same): a framebuffer mapped WC takes its writes in bursts, where an uncached one
 * pays for every store.  Under this machine's paravirtual KVM an uncached store to video memory
 * costs about 2.5 us (tooling-facts.md), so a line on the screen cost some 50 ms. */
#ifndef CADRE_PAT_H
#define CADRE_PAT_H

#include "lib/compiler.h"

/* Programs IA32_PAT on the calling CPU; the same table on every CPU, as §13.12.4 asks.  Call it
 * before the CPU touches a write-combining page (the BSP from paging_init, the APs from
 * cpu_init).  Does nothing where CPUID lacks the PAT. */
void pat_init(void);
/* The PTE bits that select write-combining, or uncached (PCD|PWT) where there is no PAT. */
uint64_t pat_wc_bits(void);
/* Whether PA1 is write-combining (pat_init ran on a CPU with a PAT). */
bool pat_has_wc(void);

#endif
