#include "boot/bootinfo.h"

#include "core/console.h"
#include "cpu/layout.defs.h"
#include "lib/string.h"

struct boot_info boot_info;
uintptr_t boot_info_phys;

static const char *mem_type_name(uint32_t t)
{
    switch (t) {
        case MB2_MEM_AVAILABLE: return "available";
        case MB2_MEM_RESERVED: return "reserved";
        case MB2_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
        case MB2_MEM_NVS: return "ACPI NVS";
        case MB2_MEM_BADRAM: return "bad RAM";
        default: return NULL;
    }
}

void bootinfo_init(uintptr_t phys)
{
    boot_info_phys = phys;
    /* The boot page tables map the first BOOT_MAP_SIZE bytes of physical memory. */
    size_t avail = phys < BOOT_MAP_SIZE ? BOOT_MAP_SIZE - phys : 0;
    int rc = mb2_parse((const void *)(phys + DIRECT_MAP_BASE), avail, &boot_info);
    struct boot_info *bi = &boot_info;
    if (bi->nproblems)
        kprintf("%s%s", bi->problem, bi->nproblems > 1 ? " (and more problems)" : "");
    if (rc)
        kprintf("multiboot2: warning: information at 0x%lx unreadable past that point; going on "
                "with what was read",
                (unsigned long)phys);
    kprintf("multiboot2: %u bytes, %u tags at 0x%lx; loader \"%s\"", bi->total_size, bi->ntags,
            (unsigned long)phys, bi->loader[0] ? bi->loader : "(unnamed)");
    console_lock();
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &bi->mmap[i];
        const char *name = mem_type_name(e->type);
        if (name)
            kprintf("  mem %016llx-%016llx %s", (unsigned long long)e->base,
                    (unsigned long long)(e->base + e->length - 1), name);
        else /* a type Multiboot2 §3.6.8 does not define: not used, and shown as it came */
            kprintf("  mem %016llx-%016llx unknown type %u (not used)", (unsigned long long)e->base,
                    (unsigned long long)(e->base + e->length - 1), e->type);
    }
    console_unlock();
    uint64_t usable = mb2_usable_bytes(bi);
    if (!bi->mmap_count)
        kprintf("multiboot2: warning: no memory map");
    kprintf("multiboot2: usable memory %llu KiB (%llu MiB) in %u map entries",
            (unsigned long long)(usable >> 10), (unsigned long long)(usable >> 20), bi->mmap_count);
    if (bi->efi)
        kprintf("multiboot2: started by UEFI firmware: EFI system table at %#llx (tag %u)%s%s",
                (unsigned long long)bi->efi_systab, bi->efi_systab_tag,
                bi->efi_mmap ? ", EFI memory map" : "",
                bi->efi_boot_services ? ", boot services running" : "");
    else
        kprintf("multiboot2: started by BIOS firmware (no EFI system table tag)");
    if (bi->rsdp_len)
        kprintf("multiboot2: ACPI RSDP revision %s (tag %u)",
                bi->rsdp_tag == MB2_TAG_ACPI_NEW ? "2+" : "1", bi->rsdp_tag);
    else
        kprintf("multiboot2: no ACPI RSDP tag");
}
