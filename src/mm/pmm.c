#include "mm/pmm.h"

#include "boot/bootinfo.h"
#include "core/console.h"
#include "cpu/layout.defs.h"
#include "cpu/spinlock.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/direct_map.h"

extern char _boot_start[], _kernel_end[];

static uint64_t *bitmap; /* bit set = page in use (or not RAM) */
static size_t npages;    /* pages the bitmap covers: [0, npages * PAGE_SIZE) */
static size_t nfree, ntotal;
static size_t search_hint;
static size_t apart_hint; /* pmm_alloc_page_apart looks from here up */
static uint64_t max_phys;
static uint64_t low_page;
static struct spinlock lock = SPINLOCK_INIT;

static bool used(size_t p) { return bitmap[p / 64] >> (p % 64) & 1; }
static void set_used(size_t p) { bitmap[p / 64] |= 1ULL << (p % 64); }
static void set_free(size_t p) { bitmap[p / 64] &= ~(1ULL << (p % 64)); }

/* Marks [start, end) used, where those pages were free. */
static void reserve(uint64_t start, uint64_t end)
{
    for (uint64_t p = start / PAGE_SIZE; p < ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE && p < npages;
         p++) {
        if (!used(p)) {
            set_used(p);
            nfree--;
        }
    }
}

void pmm_init(const struct boot_info *bi)
{
    /* First of all, the trampoline's page: nothing may have taken it (the multiboot2 information
     * may sit below 1 MiB: OVMF's GRUB puts it at 0x2000). */
    low_page = mb2_low_page(bi, PMM_LOW_PAGE_FROM, PMM_LOW_RESERVED, boot_info_phys,
                            boot_info_phys + bi->total_size);
    if (low_page)
        kprintf("pmm: page %#lx (below 1 MiB, free in the memory map) kept for the AP trampoline",
                (unsigned long)low_page);
    else
        kprintf(
            "pmm: warning: the memory map has no free 4 KiB page between %#x and 1 MiB for the AP "
            "trampoline; only the BSP will run",
            PMM_LOW_PAGE_FROM);
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &bi->mmap[i];
        if (e->type == MB2_MEM_AVAILABLE && e->base + e->length > max_phys)
            max_phys = e->base + e->length;
    }
    max_phys = ALIGN_DOWN(max_phys, PAGE_SIZE);
    npages = max_phys / PAGE_SIZE;
    size_t bytes = ALIGN_UP(ALIGN_UP(npages, 64) / 8, PAGE_SIZE);

    /* The bitmap goes in the first available range above the kernel that holds it and that the
     * boot page tables reach (the first BOOT_MAP_SIZE bytes). */
    uint64_t kernel_end_phys = (uintptr_t)_kernel_end - KERNEL_VMA;
    uint64_t at = 0;
    for (unsigned i = 0; i < bi->mmap_count && !at; i++) {
        const struct mb2_mmap_entry *e = &bi->mmap[i];
        if (e->type != MB2_MEM_AVAILABLE)
            continue;
        uint64_t lo = ALIGN_UP(MAX(e->base, kernel_end_phys), PAGE_SIZE);
        uint64_t hi = ALIGN_DOWN(e->base + e->length, PAGE_SIZE);
        if (lo >= PMM_LOW_RESERVED && hi > lo && hi - lo >= bytes && lo + bytes <= BOOT_MAP_SIZE)
            at = lo;
    }
    if (!at)
        panic("pmm: no room for a %zu-byte page bitmap below %#x", bytes, BOOT_MAP_SIZE);
    bitmap = phys_to_virt(at);
    memset(bitmap, 0xff, bytes);

    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &bi->mmap[i];
        if (e->type != MB2_MEM_AVAILABLE)
            continue;
        for (uint64_t p = ALIGN_UP(e->base, PAGE_SIZE) / PAGE_SIZE;
             p < ALIGN_DOWN(e->base + e->length, PAGE_SIZE) / PAGE_SIZE; p++) {
            if (used(p)) {
                set_free(p);
                nfree++;
            }
        }
    }
    ntotal = nfree;
    reserve(0, PMM_LOW_RESERVED);
    reserve((uintptr_t)_boot_start, kernel_end_phys);
    reserve(boot_info_phys, boot_info_phys + bi->total_size);
    reserve(at, at + bytes);
    search_hint = PMM_LOW_RESERVED / PAGE_SIZE;
    /* half-way between the kernel's end and the end of memory */
    apart_hint = (search_hint + npages) / 2;
    kprintf("pmm: %zu of %zu pages free (%zu MiB); bitmap of %zu KiB at %#lx", nfree, ntotal,
            nfree >> (20 - PAGE_SHIFT), bytes >> 10, (unsigned long)at);
}

/* n contiguous free pages, first fit from *hint (then from 1 MiB), which moves past them. */
static uint64_t alloc(size_t n, bool zero, size_t *hint)
{
    if (!n)
        return 0;
    bool irqs = spin_lock(&lock);
    for (int pass = 0; pass < 2; pass++) {
        size_t start = pass ? PMM_LOW_RESERVED / PAGE_SIZE : *hint, run = 0;
        for (size_t p = start; p < npages; p++) {
            run = used(p) ? 0 : run + 1;
            if (run == n) {
                size_t first = p + 1 - n;
                for (size_t q = first; q <= p; q++)
                    set_used(q);
                nfree -= n;
                *hint = p + 1;
                spin_unlock(&lock, irqs);
                uint64_t phys = (uint64_t)first * PAGE_SIZE;
                if (zero)
                    memset(phys_to_virt(phys), 0, n * PAGE_SIZE);
                return phys;
            }
        }
    }
    spin_unlock(&lock, irqs);
    return 0;
}

uint64_t pmm_alloc_pages(size_t n) { return alloc(n, true, &search_hint); }
uint64_t pmm_alloc_page(void) { return alloc(1, true, &search_hint); }
uint64_t pmm_alloc_page_uninit(void) { return alloc(1, false, &search_hint); }
uint64_t pmm_alloc_page_apart(void) { return alloc(1, false, &apart_hint); }

void pmm_free_pages(uint64_t phys, size_t n)
{
    bool irqs = spin_lock(&lock);
    for (size_t p = phys / PAGE_SIZE; p < phys / PAGE_SIZE + n; p++) {
        if (p < PMM_LOW_RESERVED / PAGE_SIZE || p >= npages || !used(p)) {
            spin_unlock(&lock, irqs);
            panic("pmm: freeing page %#lx that is not allocated", (unsigned long)(p * PAGE_SIZE));
        }
        set_free(p);
        nfree++;
    }
    if (phys / PAGE_SIZE < search_hint)
        search_hint = phys / PAGE_SIZE;
    spin_unlock(&lock, irqs);
}

size_t pmm_free_count(void) { return READ_ONCE(nfree); }
size_t pmm_total_count(void) { return ntotal; }
uint64_t pmm_max_phys(void) { return max_phys; }
uint64_t pmm_low_page(void) { return low_page; }
