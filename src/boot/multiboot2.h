/* Reading the multiboot2 boot information (Multiboot2 specification 2.0, §3.6).
 *
 * Plain C with no kernel dependencies, so the host-side tests and the fuzzer (test/host/) run
 * the very same code.  Every tag is checked against the information's total size and its own
 * size before a byte of it is read; what is kept is copied out, because the loader's memory
 * may be reused. */
#ifndef CADRE_MULTIBOOT2_H
#define CADRE_MULTIBOOT2_H

#include "boot/multiboot2.defs.h"
#include "lib/compiler.h"

/* Tag types (§3.6.1 onwards) */
enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_EFI32 = 11,    /* the EFI system table's 32-bit address: started by 32-bit UEFI */
    MB2_TAG_EFI64 = 12,    /* its 64-bit address: started by 64-bit UEFI */
    MB2_TAG_ACPI_OLD = 14, /* a copy of the ACPI 1.0 RSDP */
    MB2_TAG_ACPI_NEW = 15, /* a copy of the ACPI 2.0+ RSDP */
    MB2_TAG_EFI_MMAP = 17, /* the UEFI memory map as GetMemoryMap() gave it */
    MB2_TAG_EFI_BS = 18,   /* boot services not exited (only when the kernel asks for it) */
};

/* Memory map entry types (§3.6.8) */
enum {
    MB2_MEM_AVAILABLE = 1,
    MB2_MEM_RESERVED = 2,
    MB2_MEM_ACPI_RECLAIMABLE = 3,
    MB2_MEM_NVS = 4,
    MB2_MEM_BADRAM = 5,
    /* Any other value is reserved by the specification; GRUB passes some of its own on
     * (OVMF's persistent-memory ranges, for one): treated as not available, printed by number. */
};

/* Framebuffer types (§3.6.12) */
enum {
    MB2_FB_INDEXED = 0,  /* a palette */
    MB2_FB_RGB = 1,      /* direct colour */
    MB2_FB_EGA_TEXT = 2, /* width and height in characters, 16 bits a cell */
};

/* The framebuffer info tag (§3.6.12) */
struct mb2_framebuffer {
    uint64_t addr;          /* physical */
    uint32_t pitch;         /* bytes a row */
    uint32_t width, height; /* pixels (characters for EGA text) */
    uint8_t bpp, type;
    /* MB2_FB_RGB: each colour's lowest bit and its width in bits */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    uint16_t palette_colors; /* MB2_FB_INDEXED */
};

#define MB2_MAX_TOTAL_SIZE (1u << 20) /* no sane loader hands over more than 1 MiB of tags */
#define MB2_MAX_MMAP 128
#define MB2_CMDLINE_MAX 1024
#define MB2_LOADER_MAX 64
#define MB2_RSDP_MAX 36 /* an ACPI 2.0 RSDP (ACPI 6.5 §5.2.5.3) */

struct mb2_mmap_entry {
    uint64_t base, length;
    uint32_t type;
};

struct boot_info {
    uint32_t total_size;
    unsigned ntags;
    char cmdline[MB2_CMDLINE_MAX];
    bool has_cmdline;
    char loader[MB2_LOADER_MAX];
    struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
    unsigned mmap_count;
    bool mmap_truncated;
    bool has_meminfo;
    uint32_t mem_lower_kib, mem_upper_kib;
    uint8_t rsdp[MB2_RSDP_MAX];
    unsigned rsdp_len; /* 0: no RSDP tag */
    unsigned rsdp_tag; /* MB2_TAG_ACPI_OLD or MB2_TAG_ACPI_NEW */
    bool fb_tag;       /* a framebuffer tag was there */
    bool has_fb;       /* ... and its fields are consistent */
    struct mb2_framebuffer fb;
    /* Which firmware started the loader: an EFI system table tag (11 or 12) means UEFI, and
     * then there is no BIOS data area, EBDA or VGA text buffer to count on (docs/boot.md). */
    bool efi;
    unsigned efi_systab_tag; /* MB2_TAG_EFI32 or MB2_TAG_EFI64 */
    uint64_t efi_systab;     /* the system table's physical address */
    bool efi_mmap;           /* an EFI memory map tag came (not read: tag 6 has the same ranges) */
    bool efi_boot_services;  /* tag 18: boot services still running */
    /* The first problem found and how many there were.  A problem in one tag skips that tag;
     * a problem in the list itself ends the walk with what was read so far. */
    char problem[160];
    unsigned nproblems;
};

/* Reads the information at `mbi`, of which `avail` bytes may be read at most.  Returns 0 when
 * the list was read to its end tag, -1 when it could not be (bad header, no end tag); in both
 * cases `out` holds every sound tag seen and `problem` says what was wrong. */
int mb2_parse(const void *mbi, size_t avail, struct boot_info *out);

/* The highest 4 KiB page at or above `from` that ends at or below `limit`, lies wholly inside
 * one available (type 1) memory map entry and does not overlap [avoid, avoid_end); 0 if there
 * is none (so `from` must be above 0).  For the AP trampoline, which must sit below 1 MiB: the
 * highest, as Linux takes for its real-mode code, since loaders put their last stubs in the
 * lowest free pages (GRUB's relocator ran at 0x1000, and under TCG writing over translated
 * code cost 12.7 ms at -smp 255: docs/performance.md). */
uint64_t mb2_low_page(const struct boot_info *bi, uint64_t from, uint64_t limit, uint64_t avoid,
                      uint64_t avoid_end);

/* Sum of the lengths of the available (type 1) memory map entries, in bytes. */
uint64_t mb2_usable_bytes(const struct boot_info *bi);

#endif
