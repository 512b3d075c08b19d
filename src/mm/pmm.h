/* The physical page allocator: one bit per 4 KiB page, fed by the multiboot2 memory map. */
#ifndef CADRE_PMM_H
#define CADRE_PMM_H

#include "boot/multiboot2.h"
#include "lib/compiler.h"

/* Low memory below 1 MiB is never handed out: the BIOS data, the EBDA, the AP trampoline page
 * and the ROMs live there (docs/memory.md). */
#define PMM_LOW_RESERVED 0x100000
/* The AP trampoline's page is the lowest free page of the memory map from here up to 1 MiB
 * (a STARTUP IPI's vector is a page number below 0x100: SDM vol. 3A §9.4.4.1).  Page 0 holds
 * the real-mode interrupt vectors and the BIOS data area on BIOS machines, and is the null page. */
#define PMM_LOW_PAGE_FROM 0x1000

void pmm_init(const struct boot_info *bi);
/* A zeroed page's physical address, or 0 when memory is exhausted. */
uint64_t pmm_alloc_page(void);
/* `n` physically contiguous zeroed pages, or 0. */
uint64_t pmm_alloc_pages(size_t n);
/* A page left as it was, for memory whose every use writes before it reads (stacks): zeroing
 * is the first touch of every page, which costs a host page fault each under emulation, even
 * for the stack pages that are never used (docs/performance.md). */
uint64_t pmm_alloc_page_uninit(void);
/* A page left as it was, from a second cursor that starts half-way up memory: for pages that
 * may never be touched (the deeper pages of a stack), kept apart from the ones the boot writes
 * at once (from the bottom up).  A hypervisor backs guest memory on its first touch, in 2 MiB
 * pages where it can (0.25-50 ms a fault on this machine's host), so mixing the two would have
 * the boot touch every 2 MiB of the mix.  Not the top of memory: the loader's code ran there,
 * and under TCG the first write to a page that held translated code throws that code away,
 * for every vCPU (docs/memory.md). */
uint64_t pmm_alloc_page_apart(void);
void pmm_free_pages(uint64_t phys, size_t n);
size_t pmm_free_count(void);
size_t pmm_total_count(void);
/* The page below 1 MiB that pmm_init set aside for the AP trampoline, before anything else
 * was allocated, or 0 when the memory map has none free (then it said so). */
uint64_t pmm_low_page(void);
/* The end of the highest available page, for the direct map's size. */
uint64_t pmm_max_phys(void);

#endif
