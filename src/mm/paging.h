/* The kernel's page tables (docs/memory.md): the image mapped page by page with each section's
 * rights, all physical memory in the direct map, and a VMAP area for stacks with guard pages
 * and for uncached device mappings.  Every CPU uses the same tables. */
#ifndef CADRE_PAGING_H
#define CADRE_PAGING_H

#include "cpu/layout.defs.h"
#include "cpu/x86.defs.h"
#include "lib/compiler.h"
#include "mm/direct_map.h"
/* For direct-map and kernel-image addresses; anything else walks the tables (0 if unmapped). */
uint64_t virt_to_phys(const void *va);

/* Builds the kernel's tables and switches the BSP to them. */
void paging_init(void);
uint64_t paging_kernel_cr3(void);
/* Whether the direct map reaches phys (the boot tables' 1 GiB before paging_init). */
bool paging_direct_mapped(uint64_t phys, uint64_t len);

/* Whether the memory map has RAM or firmware memory (available, ACPI, NVS) in [phys,
 * phys + len), or it is in the first MiB: no place for device registers. */
bool paging_holds_memory(uint64_t phys, uint64_t len);

/* Maps one 4 KiB page; flags are PTE_* bits beyond PTE_P.  Returns false when out of memory
 * or when va already sits in a large page. */
bool map_page(uintptr_t va, uint64_t phys, uint64_t flags);
/* Changes the rights of mapped 4 KiB pages, e.g. to make the IDT read-only. */
void paging_set_flags(uintptr_t va, size_t len, uint64_t flags);
/* The page-table entry for va, or NULL where a level is missing; *level_size tells the size
 * the entry maps (4 KiB, 2 MiB). */
uint64_t *paging_lookup(uintptr_t va, uint64_t *level_size);

/* Device memory, mapped uncached (PCD|PWT) in the VMAP area. */
void *ioremap(uint64_t phys, size_t size);
/* Memory a device only receives writes in (a framebuffer), mapped write-combining where the CPU
 * has a PAT (cpu/pat.h), uncached where it has not; its part of the direct map is dropped.
 * Only before the APs start. */
void *ioremap_wc(uint64_t phys, size_t size);
/* A stack of `size` bytes (pages of fresh memory, not zeroed) with an unmapped guard page below
 * it, in the VMAP area.  Returns the lowest usable address (the top is lo + size), or 0.  Its
 * pages come from apart (pmm_alloc_page_apart), except, where `top_used_at_once`
 * (a kernel or IRQ stack, written as soon as its CPU runs), the top page: that one comes from
 * the bottom, beside the per-CPU area allocated just before it, so that the memory a CPU
 * touches at once is in few 2 MiB pages (docs/memory.md). */
uintptr_t stack_map(size_t size, bool top_used_at_once);

#endif
