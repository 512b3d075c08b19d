/* Host tests of the multiboot2 information parser (src/boot/multiboot2.c): a well-formed list,
 * then broken ones, each asserting the values kept and the problem text.
 * Usage: test_multiboot2 [--write-corpus DIR] */
#include "boot/multiboot2.h"
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MBI_MAX 8192

/* A multiboot2 information block under construction, 8-byte aligned as a loader gives it. */
static struct mbi {
    uint64_t words[MBI_MAX / 8];
    uint32_t len;
} mbi;
static struct boot_info bi;
static const char *corpus_dir;

static uint8_t *bytes(void) { return (uint8_t *)mbi.words; }

static void put32(uint32_t off, uint32_t v) { memcpy(bytes() + off, &v, 4); }

static void mbi_start(void)
{
    memset(&mbi, 0, sizeof mbi);
    mbi.len = 8; /* total_size, reserved */
}

static void raw(const void *p, uint32_t n)
{
    if (!n)
        return;
    if (mbi.len + n > MBI_MAX)
        abort();
    memcpy(bytes() + mbi.len, p, n);
    mbi.len += n;
}

/* A tag: type, size = 8 + payload, payload, padding to 8 bytes. */
static void tag(uint32_t type, const void *payload, uint32_t n)
{
    uint32_t hdr[2] = { type, 8 + n };
    raw(hdr, 8);
    raw(payload, n);
    mbi.len = (mbi.len + 7) & ~7u;
}

static void mbi_end(void)
{
    tag(MB2_TAG_END, NULL, 0);
    put32(0, mbi.len);
}

static void save(const char *name)
{
    if (!corpus_dir)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", corpus_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes(), 1, mbi.len, f) != mbi.len) {
        fprintf(stderr, "test_multiboot2: cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

static int parse(void) { return mb2_parse(bytes(), mbi.len, &bi); }

__attribute__((format(printf, 1, 2))) static bool problem_is(const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!strcmp(bi.problem, text))
        return true;
    printf("  problem is \"%s\", expected \"%s\"\n", bi.problem, text);
    return false;
}

/* Memory map tag payload: entry_size, entry_version, then `n` entries of `esize` bytes and
 * `stray` more bytes. */
static void mmap_tag_stray(uint32_t esize, unsigned n, const struct mb2_mmap_entry *e,
                           uint32_t stray)
{
    static uint8_t p[MBI_MAX];
    uint32_t len = 8;
    memcpy(p, &esize, 4);
    memset(p + 4, 0, 4);
    for (unsigned i = 0; i < n; i++, len += esize) {
        memset(p + len, 0, esize);
        if (esize >= 20) {
            memcpy(p + len, &e[i].base, 8);
            memcpy(p + len + 8, &e[i].length, 8);
            memcpy(p + len + 16, &e[i].type, 4);
        }
    }
    memset(p + len, 0xee, stray);
    tag(MB2_TAG_MMAP, p, len + stray);
}

static void mmap_tag(uint32_t esize, unsigned n, const struct mb2_mmap_entry *e)
{
    mmap_tag_stray(esize, n, e, 0);
}

static const struct mb2_mmap_entry qemu_mmap[] = {
    { 0x0, 0x9fc00, MB2_MEM_AVAILABLE },      { 0x9fc00, 0x400, MB2_MEM_RESERVED },
    { 0xf0000, 0x10000, MB2_MEM_RESERVED },   { 0x100000, 0x7ee0000, MB2_MEM_AVAILABLE },
    { 0x7fe0000, 0x20000, MB2_MEM_RESERVED }, { 0xfffc0000, 0x40000, MB2_MEM_RESERVED },
};

/* RSDP copies: an ACPI 1.0 one (20 bytes) and a 2.0 one (36), told apart by their OEM IDs. */
static uint8_t rsdp_v1[20] = "RSD PTR \0OLDOEM\0";
static uint8_t rsdp_v2[36] = "RSD PTR \0NEWOEM\2";

static void well_formed(bool new_first)
{
    static const uint32_t meminfo[2] = { 639, 130048 };
    mbi_start();
    tag(MB2_TAG_CMDLINE, "panic=exit smp.serial", 22);
    tag(MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1", 21);
    tag(MB2_TAG_BASIC_MEMINFO, meminfo, sizeof meminfo);
    tag(MB2_TAG_BOOTDEV, (const uint32_t[]){ 0xe0, ~0u, ~0u }, 12); /* not used: skipped */
    mmap_tag(24, 6, qemu_mmap);
    if (new_first) {
        tag(MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
        tag(MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
    } else {
        tag(MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
        tag(MB2_TAG_ACPI_NEW, rsdp_v2, sizeof rsdp_v2);
    }
    mbi_end();
}

static void test_well_formed(void)
{
    for (int order = 0; order < 2; order++) {
        well_formed(order);
        save(order ? "qemu-new-first" : "qemu-old-first");
        CHECK_EQ(parse(), 0);
        CHECK_EQ(bi.nproblems, 0);
        CHECK_EQ(bi.total_size, mbi.len);
        CHECK_EQ(bi.ntags, 8);
        CHECK(bi.has_cmdline);
        CHECK_STR(bi.cmdline, "panic=exit smp.serial");
        CHECK_STR(bi.loader, "GRUB 2.06-13+deb12u1");
        CHECK(bi.has_meminfo);
        CHECK_EQ(bi.mem_lower_kib, 639);
        CHECK_EQ(bi.mem_upper_kib, 130048);
        CHECK_EQ(bi.mmap_count, 6);
        CHECK(!bi.mmap_truncated);
        for (unsigned i = 0; i < 6; i++) {
            CHECK_EQ(bi.mmap[i].base, qemu_mmap[i].base);
            CHECK_EQ(bi.mmap[i].length, qemu_mmap[i].length);
            CHECK_EQ(bi.mmap[i].type, qemu_mmap[i].type);
        }
        CHECK_EQ(mb2_usable_bytes(&bi), 0x9fc00 + 0x7ee0000);
        /* The 2.0 copy wins whichever comes first. */
        CHECK_EQ(bi.rsdp_tag, MB2_TAG_ACPI_NEW);
        CHECK_EQ(bi.rsdp_len, 36);
        CHECK(!memcmp(bi.rsdp, rsdp_v2, 36));
    }
    /* Only the old one */
    mbi_start();
    tag(MB2_TAG_ACPI_OLD, rsdp_v1, sizeof rsdp_v1);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(bi.rsdp_tag, MB2_TAG_ACPI_OLD);
    CHECK_EQ(bi.rsdp_len, 20);
    CHECK(!memcmp(bi.rsdp, rsdp_v1, 20));
    CHECK(!bi.has_cmdline);
    CHECK_EQ(bi.mmap_count, 0);
}

static void test_header_broken(void)
{
    well_formed(false);
    CHECK_EQ(mb2_parse(bytes() + 4, mbi.len - 4, &bi), -1);
    CHECK(!strncmp(bi.problem, "multiboot2: information at ", 27) &&
          strstr(bi.problem, "is not 8-byte aligned"));

    CHECK_EQ(mb2_parse(bytes(), 12, &bi), -1);
    CHECK(problem_is("multiboot2: only 12 bytes readable, too few for any information"));

    put32(0, 8);
    CHECK_EQ(parse(), -1);
    CHECK(
        problem_is("multiboot2: total size 8 is impossible (readable %u, limit 1048576)", mbi.len));

    put32(0, 2u << 20);
    CHECK_EQ(mb2_parse(bytes(), 4u << 20, &bi), -1); /* claims 4 MiB readable; none of it is read */
    CHECK(problem_is(
        "multiboot2: total size 2097152 is impossible (readable 4194304, limit 1048576)"));

    put32(0, mbi.len + 8);
    CHECK_EQ(parse(), -1);
    CHECK(problem_is("multiboot2: total size %u is impossible (readable %u, limit 1048576)",
                     mbi.len + 8, mbi.len));
}

static void test_tags_broken(void)
{
    /* A tag whose size runs past total_size */
    well_formed(false);
    put32(12, 400);
    CHECK_EQ(parse(), -1);
    CHECK(problem_is(
        "multiboot2: tag 1 at offset 8 has size 400, outside the information (%u bytes)", mbi.len));

    /* Tag size below the header's 8 */
    well_formed(false);
    put32(12, 4);
    CHECK_EQ(parse(), -1);
    CHECK(problem_is("multiboot2: tag 1 at offset 8 has size 4, outside the information (%u bytes)",
                     mbi.len));

    /* No end tag: total_size ends right after the last tag */
    mbi_start();
    tag(MB2_TAG_CMDLINE, "x", 2);
    put32(0, mbi.len);
    CHECK_EQ(parse(), -1);
    CHECK(problem_is("multiboot2: tag list runs past its total size 24 without an end tag"));
    CHECK(bi.has_cmdline); /* what came before is kept */

    /* An end tag of the wrong size still ends the list. */
    mbi_start();
    tag(MB2_TAG_END, "abcdefgh", 8);
    put32(0, mbi.len);
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: end tag has size 16, not 8"));

    /* A command line without its NUL: skipped, the list goes on */
    mbi_start();
    tag(MB2_TAG_CMDLINE, "smp=4", 5);
    tag(MB2_TAG_LOADER_NAME, "GRUB", 5);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: command line tag is not NUL-terminated (skipped)"));
    CHECK(!bi.has_cmdline);
    CHECK_STR(bi.loader, "GRUB");

    /* Strings longer than what is kept */
    static char long_name[100];
    memset(long_name, 'g', 99);
    mbi_start();
    tag(MB2_TAG_LOADER_NAME, long_name, 100);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: boot loader name is 99 bytes; kept the first 63"));
    CHECK_EQ(strlen(bi.loader), 63);

    /* Basic memory information too short */
    mbi_start();
    tag(MB2_TAG_BASIC_MEMINFO, "abcd", 4);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: basic memory tag of 12 bytes is too short (skipped)"));
    CHECK(!bi.has_meminfo);

    /* RSDP tags too short: the new one skipped, the old one kept */
    mbi_start();
    tag(MB2_TAG_ACPI_NEW, rsdp_v2, 20);
    tag(MB2_TAG_ACPI_OLD, rsdp_v1, 16);
    tag(MB2_TAG_ACPI_OLD, rsdp_v1, 20);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: ACPI RSDP tag 15 holds 20 bytes, needs 36 (skipped)"));
    CHECK_EQ(bi.nproblems, 2);
    CHECK_EQ(bi.rsdp_tag, MB2_TAG_ACPI_OLD);
    CHECK_EQ(bi.rsdp_len, 20);
}

static void test_mmap_broken(void)
{
    static const uint32_t bad_sizes[] = { 0, 20, 28 };
    for (unsigned i = 0; i < 3; i++) {
        mbi_start();
        mmap_tag(bad_sizes[i], 2, qemu_mmap);
        mbi_end();
        CHECK_EQ(parse(), 0);
        CHECK(problem_is(
            "multiboot2: memory map entry size %u is not a multiple of 8 of at least 24 (skipped)",
            bad_sizes[i]));
        CHECK_EQ(bi.mmap_count, 0);
    }

    /* An entry size so large that offset + size wraps around 2^32 (found by fuzz_multiboot2:
     * the sum came out small, and 20 bytes were read from a 30-byte tag's offset 16). */
    mbi_start();
    mmap_tag_stray(0xfffffff0u, 0, qemu_mmap, 14);
    mbi_end();
    save("broken-mmap-esize-wraps");
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: memory map tag has 14 stray bytes after its entries"));
    CHECK_EQ(bi.mmap_count, 0);

    /* Entries bigger than today's 24 bytes are read by their first 20. */
    mbi_start();
    mmap_tag(32, 6, qemu_mmap);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(bi.nproblems, 0);
    CHECK_EQ(bi.mmap_count, 6);
    CHECK_EQ(bi.mmap[3].length, 0x7ee0000);

    /* A tag too short for its own fields, and stray bytes after the entries */
    mbi_start();
    tag(MB2_TAG_MMAP, (const uint32_t[]){ 24 }, 4);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: memory map tag of 12 bytes is too short (skipped)"));
    mbi_start();
    mmap_tag_stray(24, 2, qemu_mmap, 4);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: memory map tag has 4 stray bytes after its entries"));
    CHECK_EQ(bi.mmap_count, 2);

    /* Exactly MB2_MAX_MMAP entries fit; one more is reported. */
    static struct mb2_mmap_entry many[MB2_MAX_MMAP + 1];
    for (unsigned i = 0; i <= MB2_MAX_MMAP; i++)
        many[i] = (struct mb2_mmap_entry){ 0x100000ull * i, 0x1000, MB2_MEM_AVAILABLE };
    mbi_start();
    mmap_tag(24, MB2_MAX_MMAP, many);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(bi.nproblems, 0);
    CHECK_EQ(bi.mmap_count, MB2_MAX_MMAP);
    mbi_start();
    mmap_tag(24, MB2_MAX_MMAP + 1, many);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: more than 128 memory map entries; kept the first 128"));
    CHECK(bi.mmap_truncated);
    CHECK_EQ(bi.mmap_count, MB2_MAX_MMAP);
    CHECK_EQ(bi.mmap[MB2_MAX_MMAP - 1].base, 0x100000ull * (MB2_MAX_MMAP - 1));
    CHECK_EQ(mb2_usable_bytes(&bi), 0x1000ull * MB2_MAX_MMAP);
}

/* Framebuffer info tag payload (§3.6.12, with GRUB's u16 reserved): address, pitch, width,
 * height, bpp, type, 2 reserved bytes, then `extra` bytes of colour information. */
static void fb_tag(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp, uint8_t type,
                   const uint8_t *extra, uint32_t n)
{
    uint8_t p[64] = { 0 };
    memcpy(p, &addr, 8);
    memcpy(p + 8, &pitch, 4);
    memcpy(p + 12, &w, 4);
    memcpy(p + 16, &h, 4);
    p[20] = bpp;
    p[21] = type;
    if (n)
        memcpy(p + 24, extra, n);
    tag(MB2_TAG_FRAMEBUFFER, p, 24 + n);
}

static const uint8_t rgb32[6] = { 16, 8, 8, 8, 0, 8 }; /* what GRUB gives for QEMU's std VGA */
static const uint8_t rgb24[6] = { 16, 8, 8, 8, 0, 8 };

static void test_framebuffer(void)
{
    mbi_start();
    fb_tag(0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    save("fb-rgb32");
    CHECK_EQ(parse(), 0);
    CHECK_EQ(bi.nproblems, 0);
    CHECK(bi.fb_tag && bi.has_fb);
    CHECK_EQ(bi.fb.addr, 0xfd000000);
    CHECK_EQ(bi.fb.pitch, 4096);
    CHECK_EQ(bi.fb.width, 1024);
    CHECK_EQ(bi.fb.height, 768);
    CHECK_EQ(bi.fb.bpp, 32);
    CHECK_EQ(bi.fb.type, MB2_FB_RGB);
    CHECK_EQ(bi.fb.red_pos, 16);
    CHECK_EQ(bi.fb.green_size, 8);
    CHECK_EQ(bi.fb.blue_pos, 0);

    mbi_start();
    fb_tag(0xfc000000, 3072, 1024, 768, 24, MB2_FB_RGB, rgb24, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(bi.has_fb);
    CHECK_EQ(bi.fb.bpp, 24);

    /* EGA text and indexed colour are kept as they are; the driver says it does not draw on them.
     */
    mbi_start();
    fb_tag(0xb8000, 160, 80, 25, 16, MB2_FB_EGA_TEXT, NULL, 0);
    mbi_end();
    save("fb-ega-text");
    CHECK_EQ(parse(), 0);
    CHECK(bi.has_fb);
    CHECK_EQ(bi.fb.type, MB2_FB_EGA_TEXT);
    mbi_start();
    fb_tag(0xa0000, 320, 320, 200, 8, MB2_FB_INDEXED, (const uint8_t[]){ 0, 1 }, 2);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(bi.has_fb);
    CHECK_EQ(bi.fb.palette_colors, 256);

    /* Broken: each is skipped with its line, and the list goes on. */
    mbi_start();
    tag(MB2_TAG_FRAMEBUFFER, "abcdefghijklmnop", 16);
    tag(MB2_TAG_CMDLINE, "x", 2);
    mbi_end();
    save("fb-short");
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: framebuffer tag of 24 bytes is too short (skipped)"));
    CHECK(bi.fb_tag && !bi.has_fb);
    CHECK(bi.has_cmdline);

    mbi_start();
    fb_tag(0xfd000000, 4096, 0, 768, 32, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: framebuffer of 0x768x32 at 0xfd000000 is impossible (skipped)"));
    mbi_start();
    fb_tag(0, 4096, 1024, 768, 32, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: framebuffer of 1024x768x32 at 0x0 is impossible (skipped)"));
    mbi_start();
    fb_tag(0xfd000000, 4096, 1024, 768, 40, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(
        problem_is("multiboot2: framebuffer of 1024x768x40 at 0xfd000000 is impossible (skipped)"));

    mbi_start();
    fb_tag(0xfd000000, 4000, 1024, 768, 32, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    save("fb-pitch-short");
    CHECK_EQ(parse(), 0);
    CHECK(problem_is(
        "multiboot2: framebuffer pitch 4000 is less than its width 1024 x 32 bpp (skipped)"));
    CHECK(!bi.has_fb);

    mbi_start();
    fb_tag(0xfffffffffff00000ull, 4096, 1024, 768, 32, MB2_FB_RGB, rgb32, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is(
        "multiboot2: framebuffer at 0xfffffffffff00000 runs past the end of the address space "
        "(skipped)"));

    mbi_start();
    fb_tag(0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB, rgb32, 4);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: RGB framebuffer tag of 36 bytes has no colour fields (skipped)"));

    mbi_start();
    fb_tag(0xfd000000, 3072, 1024, 768, 24, MB2_FB_RGB, (const uint8_t[]){ 16, 8, 8, 8, 20, 8 }, 6);
    mbi_end();
    save("fb-colour-outside");
    CHECK_EQ(parse(), 0);
    CHECK(
        problem_is("multiboot2: framebuffer blue field at bit 20, 8 bits wide, does not fit 24 bpp "
                   "(skipped)"));
    CHECK(!bi.has_fb);
    mbi_start();
    fb_tag(0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB, (const uint8_t[]){ 16, 0, 8, 8, 0, 8 }, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(
        problem_is("multiboot2: framebuffer red field at bit 16, 0 bits wide, does not fit 32 bpp "
                   "(skipped)"));

    /* Two tags: the first is kept. */
    mbi_start();
    fb_tag(0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB, rgb32, 6);
    fb_tag(0xfc000000, 3072, 1024, 768, 24, MB2_FB_RGB, rgb24, 6);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(problem_is("multiboot2: a second framebuffer tag (skipped)"));
    CHECK_EQ(bi.fb.addr, 0xfd000000);
}

/* What GRUB-EFI under OVMF hands over (checked on QEMU 7.2 + OVMF 2022.11): the EFI64 system
 * table tag, the EFI memory map tag, a low memory map with the information itself at 0x2000,
 * and a range of GRUB's type 20 (EFI runtime services code), which Multiboot2 does not define.
 */
static const struct mb2_mmap_entry ovmf_mmap[] = {
    { 0x0, 0xa0000, MB2_MEM_AVAILABLE },
    { 0x100000, 0x700000, MB2_MEM_AVAILABLE },
    { 0x800000, 0x8000, MB2_MEM_NVS },
    { 0xf5ed000, 0x100000, 20 },
};

static void test_uefi(void)
{
    uint64_t systab = 0xf5ec018;
    uint32_t systab32 = 0x7fe000;
    mbi_start();
    tag(MB2_TAG_EFI64, &systab, 8);
    mmap_tag(24, 4, ovmf_mmap);
    tag(MB2_TAG_EFI_MMAP, (const uint32_t[]){ 48, 1 },
        8); /* descriptor size, version; no descriptors */
    mbi_end();
    save("ovmf");
    CHECK_EQ(parse(), 0);
    CHECK_EQ(bi.nproblems, 0);
    CHECK(bi.efi);
    CHECK_EQ(bi.efi_systab_tag, MB2_TAG_EFI64);
    CHECK_EQ(bi.efi_systab, 0xf5ec018);
    CHECK(bi.efi_mmap);
    CHECK(!bi.efi_boot_services);
    /* An entry of an unknown type is kept as it came, and not counted as usable. */
    CHECK_EQ(bi.mmap_count, 4);
    CHECK_EQ(bi.mmap[3].type, 20);
    CHECK_EQ(mb2_usable_bytes(&bi), 0xa0000 + 0x700000);

    /* A BIOS boot has no EFI tag. */
    well_formed(false);
    CHECK_EQ(parse(), 0);
    CHECK(!bi.efi);
    CHECK_EQ(bi.efi_systab, 0);

    /* 32-bit UEFI, and boot services left running (tag 18) */
    mbi_start();
    tag(MB2_TAG_EFI32, &systab32, 4);
    tag(MB2_TAG_EFI_BS, NULL, 0);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(bi.efi);
    CHECK_EQ(bi.efi_systab_tag, MB2_TAG_EFI32);
    CHECK_EQ(bi.efi_systab, 0x7fe000);
    CHECK(bi.efi_boot_services);

    /* A system table tag too short for its pointer is skipped, with a problem. */
    mbi_start();
    tag(MB2_TAG_EFI64, &systab32, 4);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK(!bi.efi);
    CHECK(problem_is(
        "multiboot2: EFI system table tag 12 of 12 bytes is too short, needs 16 (skipped)"));
}

static void test_low_page(void)
{
    /* OVMF: the highest page of 0-0xa0000; the information at 0x2000-0x3d8f is stepped under
     * only where it is in the way. */
    mbi_start();
    mmap_tag(24, 4, ovmf_mmap);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0x2000, 0x3d90), 0x9f000);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x9f000, 0x2000, 0x3d90), 0x9e000);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0x9e800, 0xa0000), 0x9d000);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x4000, 0x2000, 0x3d90), 0x1000);
    CHECK_EQ(mb2_low_page(&bi, 0x2000, 0x4000, 0x2000, 0x3d90), 0);
    /* SeaBIOS: 0-0x9fc00 available; the last whole page below it is 0x9e000. */
    well_formed(false);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0x100000, 0x101000), 0x9e000);
    CHECK_EQ(mb2_low_page(&bi, 0x9e000, 0x100000, 0, 0), 0x9e000);
    CHECK_EQ(mb2_low_page(&bi, 0x9e001, 0x100000, 0, 0), 0);
    /* No free low memory at all: 0, whatever is avoided. */
    static const struct mb2_mmap_entry high_only[] = {
        { 0x0, 0x100000, MB2_MEM_RESERVED },
        { 0x100000, 0x7ee0000, MB2_MEM_AVAILABLE },
    };
    mbi_start();
    mmap_tag(24, 2, high_only);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0, 0), 0);
    /* Less than a page free, a page taken wholly by the avoided range, unknown types, and an
     * entry whose end wraps around: none gives a page. */
    static const struct mb2_mmap_entry odd[] = {
        { 0x1000, 0xfff, MB2_MEM_AVAILABLE },
        { 0x3000, 0x1000, MB2_MEM_AVAILABLE },
        { 0x5000, 0x1000, 20 },
        { 0xfffffffffffff000ull, 0x2000, MB2_MEM_AVAILABLE },
    };
    mbi_start();
    mmap_tag(24, 4, odd);
    mbi_end();
    CHECK_EQ(parse(), 0);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0x3800, 0x3900), 0);
    CHECK_EQ(mb2_low_page(&bi, 0x1000, 0x100000, 0, 0), 0x3000);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-corpus")) {
        corpus_dir = argv[2];
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--write-corpus DIR]\n", argv[0]);
        return 2;
    }
    run_test("multiboot2", "well-formed: cmdline, loader, meminfo, mmap, ACPI tags in both orders",
             test_well_formed);
    run_test("multiboot2", "header: misaligned, total size too small / too big / beyond readable",
             test_header_broken);
    run_test("multiboot2", "tags: past total size, size < 8, no end tag, no NUL, short RSDP",
             test_tags_broken);
    run_test("multiboot2", "memory map: entry size 0 / 20 / 28, stray bytes, 128 and 129 entries",
             test_mmap_broken);
    run_test("multiboot2",
             "framebuffer: RGB 32/24, EGA text, indexed; short, impossible, pitch, colours, two",
             test_framebuffer);
    run_test("multiboot2",
             "UEFI: EFI32/EFI64 system table, EFI memory map and boot-services tags, type 20",
             test_uefi);
    run_test("multiboot2",
             "low page for the trampoline: OVMF and SeaBIOS maps, none free, odd entries",
             test_low_page);
    return check_report();
}
