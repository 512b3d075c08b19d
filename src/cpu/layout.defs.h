/* Virtual memory layout.  A ".defs.h" header holds only #define lines with plain hex values:
 * the build turns it into a nasm include (build/inc/), so C and assembly share one definition. */
#ifndef CADRE_LAYOUT_DEFS_H
#define CADRE_LAYOUT_DEFS_H

/* Physical address GRUB loads the kernel at (src/kernel.ld). */
#define KERNEL_PHYS_BASE 0x100000
/* The kernel image is linked in the top 2 GiB, as -mcmodel=kernel requires. */
#define KERNEL_VMA 0xffffffff80000000
/* All physical memory is mapped here (the "direct map"); phys_to_virt() adds it. */
#define DIRECT_MAP_BASE 0xffff800000000000
/* How much the boot page tables map, both at DIRECT_MAP_BASE and at KERNEL_VMA: 1 GiB. */
#define BOOT_MAP_SIZE 0x40000000

/* Stacks (with guard pages) and device mappings (ioremap) are placed here, page by page. */
#define VMAP_BASE 0xffffc00000000000
#define VMAP_SIZE 0x0000010000000000

#define PAGE_SIZE 0x1000
#define LARGE_PAGE_SIZE 0x200000
#define PAGE_SHIFT 12
/* The BSP's first kernel stack (src/boot/entry.asm); every other stack comes from cpu_init. */
#define BOOT_STACK_SIZE 0x4000

#endif
