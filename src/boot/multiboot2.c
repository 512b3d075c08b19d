#include "boot/multiboot2.h"

#ifdef CADRE_HOST
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#else
#include <stdarg.h>

#include "lib/printf.h"
#include "lib/string.h"
#endif

#define MB2_TAG_ALIGN 8
#define MB2_TAG_HEADER 8  /* u32 type, u32 size */
#define MB2_INFO_HEADER 8 /* u32 total_size, u32 reserved */

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

__printf(2, 3) static void problem(struct boot_info *bi, const char *fmt, ...)
{
    if (!bi->nproblems++) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(bi->problem, sizeof bi->problem, fmt, ap);
        va_end(ap);
    }
}

/* A string tag's text must end in a NUL inside the tag. */
static bool copy_string(struct boot_info *bi, const char *what, const uint8_t *s, size_t len,
                        char *dst, size_t dstsize)
{
    size_t n = 0;
    while (n < len && s[n])
        n++;
    if (n == len) {
        problem(bi, "multiboot2: %s tag is not NUL-terminated (skipped)", what);
        return false;
    }
    if (n >= dstsize)
        problem(bi, "multiboot2: %s is %zu bytes; kept the first %zu", what, n, dstsize - 1);
    n = n < dstsize ? n : dstsize - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static void read_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    /* u32 type, u32 size, u32 entry_size, u32 entry_version, then entries (§3.6.8) */
    if (size < 16) {
        problem(bi, "multiboot2: memory map tag of %u bytes is too short (skipped)", size);
        return;
    }
    uint32_t esize = rd32(tag + 8);
    if (esize < 24 || esize % 8) {
        problem(
            bi,
            "multiboot2: memory map entry size %u is not a multiple of 8 of at least 24 (skipped)",
            esize);
        return;
    }
    if ((size - 16) % esize)
        problem(bi, "multiboot2: memory map tag has %u stray bytes after its entries",
                (size - 16) % esize);
    bi->mmap_count = 0;
    /* esize <= size - off, not off + esize <= size: a huge entry size would wrap the sum. */
    for (uint32_t off = 16; esize <= size - off; off += esize) {
        if (bi->mmap_count == MB2_MAX_MMAP) {
            bi->mmap_truncated = true;
            problem(bi, "multiboot2: more than %d memory map entries; kept the first %d",
                    MB2_MAX_MMAP, MB2_MAX_MMAP);
            break;
        }
        struct mb2_mmap_entry *e = &bi->mmap[bi->mmap_count++];
        e->base = rd64(tag + off);
        e->length = rd64(tag + off + 8);
        e->type = rd32(tag + off + 16);
    }
}

static void read_rsdp(struct boot_info *bi, uint32_t type, const uint8_t *tag, uint32_t size)
{
    /* The RSDP's own length: 20 bytes for revision 0 (ACPI 1.0), 36 for 2.0 and later. */
    uint32_t need = type == MB2_TAG_ACPI_OLD ? 20 : 36;
    if (size < MB2_TAG_HEADER + need) {
        problem(bi, "multiboot2: ACPI RSDP tag %u holds %u bytes, needs %u (skipped)", type,
                size - MB2_TAG_HEADER, need);
        return;
    }
    /* Prefer the 2.0 copy (it has the XSDT) whichever order the tags come in. */
    if (bi->rsdp_tag == MB2_TAG_ACPI_NEW && type == MB2_TAG_ACPI_OLD)
        return;
    memcpy(bi->rsdp, tag + MB2_TAG_HEADER, need);
    bi->rsdp_len = need;
    bi->rsdp_tag = type;
}

/* Framebuffer info tag (§3.6.12): u32 type, u32 size, u64 address, u32 pitch, width, height,
 * u8 bpp, u8 type, then the colour information.  The specification's table shows one reserved
 * byte before it; GRUB, the loader that writes the tag, has a u16 there, so the colour
 * information starts at offset 32 (include/multiboot2.h in GRUB 2.06). */
#define FB_COMMON_LEN 32
#define FB_RGB_LEN (FB_COMMON_LEN + 6)     /* red, green, blue: u8 position, u8 mask size each */
#define FB_INDEXED_LEN (FB_COMMON_LEN + 2) /* u16 number of colours, then the palette */
#define FB_MAX_BPP 32

static bool colour_fits(struct boot_info *bi, const char *name, uint8_t pos, uint8_t size,
                        uint8_t bpp)
{
    if (size && pos + size <= bpp)
        return true;
    problem(
        bi,
        "multiboot2: framebuffer %s field at bit %u, %u bits wide, does not fit %u bpp (skipped)",
        name, pos, size, bpp);
    return false;
}

static void read_framebuffer(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    if (size < FB_COMMON_LEN) {
        problem(bi, "multiboot2: framebuffer tag of %u bytes is too short (skipped)", size);
        return;
    }
    if (bi->has_fb) {
        problem(bi, "multiboot2: a second framebuffer tag (skipped)");
        return;
    }
    struct mb2_framebuffer fb = { .addr = rd64(tag + 8),
                                  .pitch = rd32(tag + 16),
                                  .width = rd32(tag + 20),
                                  .height = rd32(tag + 24),
                                  .bpp = tag[28],
                                  .type = tag[29] };
    if (!fb.width || !fb.height || !fb.bpp || fb.bpp > FB_MAX_BPP || !fb.addr) {
        problem(bi, "multiboot2: framebuffer of %ux%ux%u at 0x%llx is impossible (skipped)",
                fb.width, fb.height, fb.bpp, (unsigned long long)fb.addr);
        return;
    }
    if ((uint64_t)fb.width * fb.bpp > (uint64_t)fb.pitch * 8) {
        problem(bi, "multiboot2: framebuffer pitch %u is less than its width %u x %u bpp (skipped)",
                fb.pitch, fb.width, fb.bpp);
        return;
    }
    if (fb.addr > UINT64_MAX - (uint64_t)fb.pitch * fb.height) {
        problem(
            bi,
            "multiboot2: framebuffer at 0x%llx runs past the end of the address space (skipped)",
            (unsigned long long)fb.addr);
        return;
    }
    if (fb.type == MB2_FB_RGB) {
        if (size < FB_RGB_LEN) {
            problem(bi,
                    "multiboot2: RGB framebuffer tag of %u bytes has no colour fields (skipped)",
                    size);
            return;
        }
        fb.red_pos = tag[32];
        fb.red_size = tag[33];
        fb.green_pos = tag[34];
        fb.green_size = tag[35];
        fb.blue_pos = tag[36];
        fb.blue_size = tag[37];
        if (!colour_fits(bi, "red", fb.red_pos, fb.red_size, fb.bpp) ||
            !colour_fits(bi, "green", fb.green_pos, fb.green_size, fb.bpp) ||
            !colour_fits(bi, "blue", fb.blue_pos, fb.blue_size, fb.bpp))
            return;
    } else if (fb.type == MB2_FB_INDEXED && size >= FB_INDEXED_LEN) {
        fb.palette_colors = (uint16_t)(tag[32] | tag[33] << 8);
    }
    bi->fb = fb;
    bi->has_fb = true;
}

int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi)
{
    const uint8_t *base = mbi;
    memset(bi, 0, sizeof *bi);
    if ((uintptr_t)mbi % MB2_TAG_ALIGN) {
        problem(bi, "multiboot2: information at %p is not 8-byte aligned", mbi);
        return -1;
    }
    if (avail < MB2_INFO_HEADER + MB2_TAG_HEADER) {
        problem(bi, "multiboot2: only %zu bytes readable, too few for any information", avail);
        return -1;
    }
    uint32_t total = rd32(base);
    bi->total_size = total;
    if (total < MB2_INFO_HEADER + MB2_TAG_HEADER || total > MB2_MAX_TOTAL_SIZE || total > avail) {
        problem(bi, "multiboot2: total size %u is impossible (readable %zu, limit %u)", total,
                avail, MB2_MAX_TOTAL_SIZE);
        return -1;
    }
    for (uint32_t off = MB2_INFO_HEADER;;
         off = (uint32_t)ALIGN_UP((uint64_t)off + rd32(base + off + 4), MB2_TAG_ALIGN)) {
        if (off + MB2_TAG_HEADER > total) {
            problem(bi, "multiboot2: tag list runs past its total size %u without an end tag",
                    total);
            return -1;
        }
        const uint8_t *tag = base + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);
        if (size < MB2_TAG_HEADER || size > total - off) {
            problem(
                bi,
                "multiboot2: tag %u at offset %u has size %u, outside the information (%u bytes)",
                type, off, size, total);
            return -1;
        }
        bi->ntags++;
        switch (type) {
            case MB2_TAG_END:
                if (size != MB2_TAG_HEADER)
                    problem(bi, "multiboot2: end tag has size %u, not 8", size);
                return 0;
            case MB2_TAG_CMDLINE:
                bi->has_cmdline = copy_string(bi, "command line", tag + 8, size - 8, bi->cmdline,
                                              sizeof bi->cmdline);
                break;
            case MB2_TAG_LOADER_NAME:
                copy_string(bi, "boot loader name", tag + 8, size - 8, bi->loader,
                            sizeof bi->loader);
                break;
            case MB2_TAG_BASIC_MEMINFO:
                if (size < 16) {
                    problem(bi, "multiboot2: basic memory tag of %u bytes is too short (skipped)",
                            size);
                    break;
                }
                bi->has_meminfo = true;
                bi->mem_lower_kib = rd32(tag + 8);
                bi->mem_upper_kib = rd32(tag + 12);
                break;
            case MB2_TAG_MMAP: read_mmap(bi, tag, size); break;
            case MB2_TAG_FRAMEBUFFER:
                bi->fb_tag = true;
                read_framebuffer(bi, tag, size);
                break;
            case MB2_TAG_ACPI_OLD:
            case MB2_TAG_ACPI_NEW: read_rsdp(bi, type, tag, size); break;
            case MB2_TAG_EFI32:
            case MB2_TAG_EFI64: {
                /* u32 type, u32 size, then a u32 (tag 11) or u64 (tag 12) pointer (§3.6.12-13) */
                uint32_t need = MB2_TAG_HEADER + (type == MB2_TAG_EFI32 ? 4 : 8);
                if (size < need) {
                    problem(bi,
                            "multiboot2: EFI system table tag %u of %u bytes is too short, needs "
                            "%u (skipped)",
                            type, size, need);
                    break;
                }
                bi->efi = true;
                bi->efi_systab_tag = type;
                bi->efi_systab = type == MB2_TAG_EFI32 ? rd32(tag + 8) : rd64(tag + 8);
                break;
            }
            case MB2_TAG_EFI_MMAP: bi->efi_mmap = true; break;
            case MB2_TAG_EFI_BS: bi->efi_boot_services = true; break;
            default: break; /* tags we do not use */
        }
    }
}

uint64_t mb2_low_page(const struct boot_info *bi, uint64_t from, uint64_t limit, uint64_t avoid,
                      uint64_t avoid_end)
{
    const uint64_t page = 4096;
    uint64_t best = 0;
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &bi->mmap[i];
        if (e->type != MB2_MEM_AVAILABLE || e->length < page || e->base > UINT64_MAX - e->length)
            continue;
        uint64_t lo = MAX(e->base, from), end = MIN(e->base + e->length, limit);
        if (lo >= end || end - lo < page) /* also keeps ALIGN_UP below from wrapping */
            continue;
        uint64_t first = ALIGN_UP(lo, page), p = ALIGN_DOWN(end, page) - page;
        if (p < avoid_end && p + page > avoid) { /* step under the avoided range, once */
            if (ALIGN_DOWN(avoid, page) < first + page)
                continue;
            p = ALIGN_DOWN(avoid, page) - page;
        }
        if (p >= first && p > best)
            best = p;
    }
    return best;
}

uint64_t mb2_usable_bytes(const struct boot_info *bi)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == MB2_MEM_AVAILABLE)
            sum += bi->mmap[i].length;
    return sum;
}
