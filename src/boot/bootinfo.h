/* What the kernel keeps of the multiboot2 information: parsed once, early, and copied. */
#ifndef CADRE_BOOTINFO_H
#define CADRE_BOOTINFO_H

#include "boot/multiboot2.h"

extern struct boot_info boot_info;
/* Physical address and size of the information as the loader left it, for the page allocator
 * to keep its hands off until it is read. */
extern uintptr_t boot_info_phys;

/* Reads the information at physical address `phys` and prints a summary. */
void bootinfo_init(uintptr_t phys);

#endif
