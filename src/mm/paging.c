#include "mm/paging.h"

#include "boot/bootinfo.h"
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/pat.h"
#include "cpu/spinlock.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/pmm.h"

#define ENTRIES 512
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define GIB 0x40000000ULL

extern char _boot_start[], _boot_end[], _kernel_start[], _kernel_end[], _text_start[], _text_end[],
    _rodata_start[], _rodata_end[], _data_start[], _data_end[], boot_stack_guard[];

static uint64_t *kernel_pml4;
static uint64_t kernel_cr3;
static uint64_t direct_map_end = BOOT_MAP_SIZE; /* what the boot tables map, until paging_init */
static uintptr_t vmap_next = VMAP_BASE;
static struct spinlock lock = SPINLOCK_INIT;

static unsigned index_of(uintptr_t va, int level)
{
    return (va >> (PAGE_SHIFT + 9 * level)) & (ENTRIES - 1);
}

bool paging_direct_mapped(uint64_t phys, uint64_t len)
{
    return phys + len >= phys && phys + len <= direct_map_end;
}

uint64_t virt_to_phys(const void *p)
{
    uintptr_t va = (uintptr_t)p;
    if (va >= DIRECT_MAP_BASE && va - DIRECT_MAP_BASE < direct_map_end)
        return va - DIRECT_MAP_BASE;
    if (va >= (uintptr_t)_kernel_start && va < (uintptr_t)_kernel_end)
        return va - KERNEL_VMA;
    uint64_t size;
    uint64_t *pte = paging_lookup(va, &size);
    if (!pte || !(*pte & PTE_P))
        return 0;
    return (*pte & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
}

/* The table the entry points to, allocating it if `create`.  `user`: the walk leads to a user
 * page, and every level must allow ring 3 (SDM vol. 3A §4.6.1). */
static uint64_t *next_table(uint64_t *entry, bool create, bool user)
{
    if (!(*entry & PTE_P)) {
        if (!create)
            return NULL;
        uint64_t phys = pmm_alloc_page();
        if (!phys)
            return NULL;
        /* Upper levels grant everything; the leaf decides (SDM vol. 3A §4.6). */
        *entry = phys | PTE_P | PTE_W;
    }
    if (user)
        *entry |= PTE_U;
    if (*entry & PTE_PS)
        return NULL;
    return phys_to_virt(*entry & PTE_ADDR_MASK);
}

static uint64_t *walk(uint64_t *pml4, uintptr_t va, bool create, int leaf_level, bool user)
{
    uint64_t *table = pml4;
    for (int level = 3; level > leaf_level; level--) {
        table = next_table(&table[index_of(va, level)], create, user);
        if (!table)
            return NULL;
    }
    return &table[index_of(va, leaf_level)];
}

uint64_t *paging_lookup(uintptr_t va, uint64_t *level_size)
{
    uint64_t *table = kernel_pml4 ? kernel_pml4 : phys_to_virt(read_cr3() & PTE_ADDR_MASK);
    for (int level = 3; level >= 0; level--) {
        uint64_t *e = &table[index_of(va, level)];
        if (!(*e & PTE_P))
            return NULL;
        if (level == 0 || (*e & PTE_PS)) {
            *level_size = (uint64_t)PAGE_SIZE << (9 * level);
            return e;
        }
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return NULL;
}

static bool map_in(uint64_t *pml4, uintptr_t va, uint64_t phys, uint64_t flags)
{
    uint64_t *pte = walk(pml4, va, true, 0, flags & PTE_U);
    if (!pte)
        return false;
    *pte = phys | PTE_P | flags;
    return true;
}

bool map_page(uintptr_t va, uint64_t phys, uint64_t flags)
{
    bool irqs = spin_lock(&lock);
    bool ok = map_in(kernel_pml4, va, phys, flags);
    spin_unlock(&lock, irqs);
    if (ok)
        __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
    return ok;
}

void paging_set_flags(uintptr_t va, size_t len, uint64_t flags)
{
    for (uintptr_t p = ALIGN_DOWN(va, PAGE_SIZE); p < va + len; p += PAGE_SIZE) {
        uint64_t size;
        uint64_t *pte = paging_lookup(p, &size);
        if (!pte || size != PAGE_SIZE)
            panic("paging: %#lx is not a mapped 4 KiB page", (unsigned long)p);
        *pte = (*pte & PTE_ADDR_MASK) | PTE_P | flags;
        __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
    }
}

/* Whether any memory-map entry of RAM or firmware memory (available, ACPI, NVS) overlaps
 * [pa, pa + len); the first MiB always counts (BIOS areas, the trampoline). */
static bool holds_memory(uint64_t pa, uint64_t len)
{
    if (pa < 0x100000)
        return true;
    for (unsigned i = 0; i < boot_info.mmap_count; i++) {
        const struct mb2_mmap_entry *e = &boot_info.mmap[i];
        bool ram = e->type == MB2_MEM_AVAILABLE || e->type == MB2_MEM_ACPI_RECLAIMABLE ||
                   e->type == MB2_MEM_NVS;
        if (ram && e->base < pa + len && e->base + e->length > pa)
            return true;
    }
    return false;
}

/* The rights of one page of the kernel image. */
static uint64_t image_flags(uintptr_t va)
{
    if (va >= (uintptr_t)_text_start && va < (uintptr_t)_text_end)
        return PTE_G; /* read + execute */
    if (va >= (uintptr_t)_data_start && va < (uintptr_t)_data_end)
        return PTE_W | PTE_NX | PTE_G;
    return PTE_NX | PTE_G; /* rodata, the symbol table, padding */
}

void paging_init(void)
{
    pat_init(); /* the BSP's; the APs program theirs in cpu_init */
    uint64_t pml4_phys = pmm_alloc_page();
    if (!pml4_phys)
        panic("paging: no memory for the kernel page tables");
    uint64_t *pml4 = phys_to_virt(pml4_phys);

    /* The boot section stays readable through the kernel window: the boot GDT is there until
     * cpu_init loads this CPU's own. */
    for (uintptr_t pa = (uintptr_t)_boot_start; pa < (uintptr_t)_boot_end; pa += PAGE_SIZE)
        if (!map_in(pml4, KERNEL_VMA + pa, pa, PTE_NX | PTE_G))
            panic("paging: out of memory mapping the boot section");
    /* The image, page by page, leaving the boot stack's guard page out. */
    for (uintptr_t va = (uintptr_t)_kernel_start; va < (uintptr_t)_kernel_end; va += PAGE_SIZE) {
        if (va == (uintptr_t)boot_stack_guard)
            continue;
        if (!map_in(pml4, va, va - KERNEL_VMA, image_flags(va)))
            panic("paging: out of memory mapping the kernel image");
    }

    /* The direct map, 2 MiB pages: all RAM, and at least the first 4 GiB, where firmware
     * tables live.  Devices are reached through ioremap (uncached); a 2 MiB page with no RAM in
     * it (the local APIC, I/O APIC, HPET windows...) is mapped uncached here too, so that no
     * page has two memory types (SDM vol. 3A §11.12.4 advises against aliases that differ). */
    uint64_t end = MAX(ALIGN_UP(pmm_max_phys(), GIB), 4 * GIB);
    for (uint64_t pa = 0; pa < end; pa += LARGE_PAGE_SIZE) {
        uint64_t *pde = walk(pml4, DIRECT_MAP_BASE + pa, true, 1, false);
        if (!pde)
            panic("paging: out of memory building the direct map");
        uint64_t cache = holds_memory(pa, LARGE_PAGE_SIZE) ? 0 : PTE_PCD | PTE_PWT;
        *pde = pa | PTE_P | PTE_W | PTE_PS | PTE_NX | PTE_G | cache;
    }

    kernel_pml4 = pml4;
    kernel_cr3 = pml4_phys;
    write_cr3(kernel_cr3);
    direct_map_end = end;
    kprintf(
        "paging: kernel tables at %#lx: text r-x, rodata r--, data rw- nx, direct map of %lu GiB",
        (unsigned long)pml4_phys, (unsigned long)(end / GIB));
}

uint64_t paging_kernel_cr3(void) { return kernel_cr3; }

bool paging_holds_memory(uint64_t phys, uint64_t len) { return holds_memory(phys, len); }

static uintptr_t vmap_reserve(size_t bytes)
{
    bool irqs = spin_lock(&lock);
    uintptr_t va = vmap_next;
    vmap_next += ALIGN_UP(bytes, PAGE_SIZE);
    spin_unlock(&lock, irqs);
    if (vmap_next > VMAP_BASE + VMAP_SIZE)
        panic("paging: VMAP area exhausted");
    return va;
}

static void *map_device(uint64_t phys, size_t size, uint64_t cache)
{
    uint64_t base = ALIGN_DOWN(phys, PAGE_SIZE);
    size_t len = ALIGN_UP(phys + size, PAGE_SIZE) - base;
    uintptr_t va = vmap_reserve(len);
    for (size_t off = 0; off < len; off += PAGE_SIZE)
        if (!map_page(va + off, base + off, PTE_W | cache | PTE_NX | PTE_G))
            panic("paging: out of memory in ioremap(%#lx)", (unsigned long)phys);
    return (void *)(va + (phys - base));
}

void *ioremap(uint64_t phys, size_t size) { return map_device(phys, size, PTE_PCD | PTE_PWT); }

/* The direct map's 2 MiB pages over [phys, phys + size) hold no memory (else the range cannot be
 * write-combining: RAM there is write-back) and are dropped, so that no page is mapped both
 * uncached and write-combining (SDM vol. 3A §13.12.4: aliases of different types are not
 * supported).  Nothing reaches a device through the direct map.  The drop is flushed from this
 * CPU's TLB only: call it before the APs start (fb_init does). */
void *ioremap_wc(uint64_t phys, size_t size)
{
    if (!pat_has_wc())
        return ioremap(phys, size);
    uint64_t lo = ALIGN_DOWN(phys, LARGE_PAGE_SIZE), hi = ALIGN_UP(phys + size, LARGE_PAGE_SIZE);
    if (holds_memory(lo, hi - lo)) {
        kprintf("paging: %#lx-%#lx shares a 2 MiB page with memory: mapped uncached, not "
                "write-combining",
                (unsigned long)phys, (unsigned long)(phys + size));
        return ioremap(phys, size);
    }
    for (uint64_t pa = lo; pa < hi && pa < direct_map_end; pa += LARGE_PAGE_SIZE) {
        uint64_t level_size;
        uint64_t *pde = paging_lookup(DIRECT_MAP_BASE + pa, &level_size);
        if (pde && level_size == LARGE_PAGE_SIZE) {
            *pde = 0;
            __asm__ volatile("invlpg (%0)" : : "r"(DIRECT_MAP_BASE + pa) : "memory");
        }
    }
    return map_device(phys, size, pat_wc_bits());
}

uintptr_t stack_map(size_t size, bool top_used_at_once)
{
    size = ALIGN_UP(size, PAGE_SIZE);
    uintptr_t guard = vmap_reserve(size + PAGE_SIZE); /* the guard page is never mapped */
    uintptr_t lo = guard + PAGE_SIZE;
    for (size_t off = 0; off < size; off += PAGE_SIZE) {
        /* a stack is written before it is read: no page of it is zeroed */
        bool top = off + PAGE_SIZE == size;
        uint64_t phys = top && top_used_at_once ? pmm_alloc_page_uninit() : pmm_alloc_page_apart();
        if (!phys || !map_page(lo + off, phys, PTE_W | PTE_NX | PTE_G))
            return 0;
    }
    return lo;
}
