/* Host tests of the Intel MP table reader (src/acpi/mptable.c): SeaBIOS's real tables, dumped
 * from QEMU -M pc -no-acpi by tools/dump-acpi.py --mptable, then hand-built tables, sound and
 * broken, each asserting what is kept and the problem line.
 * Usage: test_mptable [--data DIR] [--write-corpus DIR] */
#include "acpi/mptable.h"
#include "check.h"
#include "fakemem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *data_dir = "test/host/data";
static const char *corpus_dir;
static struct acpi_info ai;
static char lines[64][200];
static unsigned nlines;
static int rc;

static void summary_line(void *ctx, const char *text)
{
    (void)ctx;
    if (nlines < 64)
        snprintf(lines[nlines++], sizeof lines[0], "%s", text);
}

static bool has_line(const char *text)
{
    for (unsigned i = 0; i < nlines; i++)
        if (!strcmp(lines[i], text))
            return true;
    printf("  no line \"%s\"; the summary is:\n", text);
    for (unsigned i = 0; i < nlines; i++)
        printf("    %s\n", lines[i]);
    return false;
}

__attribute__((format(printf, 1, 2))) static bool problem_f(const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (unsigned i = 0; i < ai.nproblems && i < ACPI_MAX_PROBLEMS; i++)
        if (!strcmp(ai.problems[i], text))
            return true;
    printf("  no problem \"%s\"; there are %u:\n", text, ai.nproblems);
    for (unsigned i = 0; i < ai.nproblems && i < ACPI_MAX_PROBLEMS; i++)
        printf("    %s\n", ai.problems[i]);
    return false;
}

/* A copy of `m` with only the BIOS data area words, the floating pointer (at m->rsdp_phys) and
 * the table it names: a seed of a few hundred bytes instead of 66 KiB of ROM (the fuzzer parses
 * from the recorded pointer when its search finds none). */
static void compact(struct fakemem *out, struct fakemem *m)
{
    fakemem_init(out);
    out->rsdp_phys = m->rsdp_phys;
    static const uint64_t words[] = { 0x40e, 0x413 };
    for (unsigned i = 0; i < 2; i++) {
        const uint8_t *w = fakemem_at(m, words[i], 2);
        if (w)
            fakemem_add(out, words[i], w, 2);
    }
    const uint8_t *fp = fakemem_at(m, m->rsdp_phys, 16);
    if (!fp)
        return;
    fakemem_add(out, m->rsdp_phys, fp, 16);
    uint32_t table;
    memcpy(&table, fp + 4, 4);
    const uint8_t *t = fakemem_at(m, table, 44);
    uint16_t len = 0, ext = 0;
    if (t) {
        memcpy(&len, t + 4, 2);
        memcpy(&ext, t + 40, 2);
    }
    if (t) /* a table longer than the memory it is in: its header only */
        fakemem_add(out, table, t,
                    fakemem_at(m, table, (size_t)len + ext) ? MAX((size_t)len + ext, 44) : 44);
}

static void save(const char *name, struct fakemem *m)
{
    if (!corpus_dir)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", corpus_dir, name);
    size_t len;
    struct fakemem small;
    compact(&small, m);
    uint8_t *buf = fakemem_save(&small, &len);
    fakemem_free(&small);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        fprintf(stderr, "test_mptable: cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    free(buf);
}

/* Searches and parses `m` as the kernel does; rc -2 when no floating pointer is found. */
static void parse(struct fakemem *m, const char *corpus_name)
{
    if (corpus_name)
        save(corpus_name, m);
    memset(&ai, 0, sizeof ai);
    nlines = 0;
    uint64_t fp;
    if (mp_find_floating(fakemem_map, m, &fp)) {
        rc = -2;
        return;
    }
    rc = mp_parse(fp, fakemem_map, m, &ai);
    mp_info_summary(&ai, true, summary_line, NULL);
    if (getenv("TEST_ACPI_VERBOSE"))
        for (unsigned i = 0; i < nlines; i++)
            printf("    %s\n", lines[i]);
}

static void load(struct fakemem *m, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    fakemem_init(m);
    if (fakemem_load_file(m, path)) {
        fprintf(stderr, "test_mptable: cannot load %s\n", path);
        exit(2);
    }
}

static void check_isa(unsigned irq, int want_rc, uint32_t want_gsi)
{
    uint32_t gsi = ~0u;
    bool low = true, level = true;
    int r = acpi_isa_irq_to_gsi(&ai, irq, &gsi, &low, &level);
    CHECK_EQ(r, want_rc);
    if (!r) {
        CHECK_EQ(gsi, want_gsi);
        CHECK(!low && !level);
    }
}

/* QEMU 7.2 -M pc -no-acpi -smp 4,sockets=4, SeaBIOS 1.16.2 */
static void test_seabios_sockets4(void)
{
    struct fakemem m;
    load(&m, "qemu-pc-smp4-sockets4-noacpi.mp");
    parse(&m, "qemu-pc-smp4-sockets4");
    CHECK_EQ(rc, 0);
    CHECK_EQ(ai.nproblems, 0);
    CHECK(ai.from_mptable);
    CHECK_EQ(ai.mp.fp_phys, m.rsdp_phys); /* the dump records where it found the pointer */
    CHECK_EQ(ai.mp.spec_rev, 4);
    CHECK(!ai.mp.imcr);
    CHECK_EQ(ai.lapic_address, 0xfee00000);
    CHECK_EQ(ai.ncpus, 4);
    for (unsigned i = 0; i < 4 && i < ai.ncpus; i++) {
        CHECK_EQ(ai.cpus[i].apic_id, i);
        CHECK(ai.cpus[i].enabled);
    }
    CHECK_EQ(ai.nioapics, 1);
    CHECK_EQ(ai.ioapics[0].id, 0);
    CHECK_EQ(ai.ioapics[0].address, 0xfec00000);
    CHECK_EQ(ai.ioapics[0].gsi_base, 0);
    /* SeaBIOS lists ISA IRQs 0 (on pin 2), 1, 3, 4, 6, 7, 8, 12-15, each edge, active high. */
    CHECK_EQ(ai.nisos, 11);
    check_isa(0, 0, 2);
    check_isa(1, 0, 1);
    check_isa(2, -1, 0); /* its pin serves IRQ 0 */
    check_isa(4, 0, 4);
    check_isa(8, 0, 8);
    check_isa(5, 0, 5); /* not listed: identity, as without an override */
    /* NMI on LINT1 of every processor; ExtINT on LINT0 and the PCI entry are counted. */
    CHECK_EQ(ai.nlapic_nmis, 1);
    uint16_t flags;
    CHECK(acpi_lint_nmi(&ai, &ai.cpus[2], 1, &flags));
    CHECK(!acpi_lint_nmi(&ai, &ai.cpus[2], 0, &flags));
    CHECK_EQ(ai.mp.pci_irqs, 1);
    CHECK_EQ(ai.mp.other_irqs, 1);
    CHECK(has_line(
        "mptable: floating pointer at 0xf5b60 (spec 1.4), table at 0xf5b70: 260 bytes, 21 entries, "
        "OEM \"BOCHSCPU\" product \"0.1\""));
    CHECK(has_line("mptable: 4 cpus (4 enabled), lapic 0xfee00000, virtual wire mode; buses: 1 "
                   "ISA, 1 PCI, 0 other"));
    CHECK(has_line("mptable: cpu apic 3 enabled"));
    CHECK(has_line("mptable: ioapic id 0 at 0xfec00000 gsi base 0"));
    CHECK(has_line(
        "mptable: ISA irqs: 0->2 1->1 3->3 4->4 6->6 7->7 8->8 12->12 13->13 14->14 15->15"));
    CHECK(has_line(
        "mptable: 0 NMI sources, 1 local NMI entries; not used: 1 PCI, 1 SMI/ExtINT entries"));
    fakemem_free(&m);
}

/* -smp 4 is one package of four cores to QEMU 7.2; SeaBIOS lists each package's first CPU only. */
static void test_seabios_one_package(void)
{
    struct fakemem m;
    load(&m, "qemu-pc-smp4-noacpi.mp");
    parse(&m, "qemu-pc-smp4");
    CHECK_EQ(rc, 0);
    CHECK_EQ(ai.nproblems, 0);
    CHECK_EQ(ai.ncpus, 1);
    CHECK_EQ(ai.cpus[0].apic_id, 0);
    CHECK_EQ(ai.nioapics, 1);
    CHECK_EQ(ai.nisos, 11);
    fakemem_free(&m);
}

/* ---- hand-built tables ---------------------------------------------------------------------- */

#define FP_ROM 0xf5000
#define TABLE_AT 0xf6000
#define EBDA_SEG 0x9fc0
#define ROM_BASE 0xf0000
#define ROM_LEN 0x10000

static struct build {
    uint8_t fp[16];
    uint8_t table[4096];
    uint16_t len, count;
    bool no_fix; /* leave the checksums as they are */
} b;

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static void build_start(void)
{
    memset(&b, 0, sizeof b);
    memcpy(b.fp, "_MP_", 4);
    put32(b.fp + 4, TABLE_AT);
    b.fp[8] = 1;
    b.fp[9] = 4;
    memcpy(b.table, "PCMP", 4);
    b.table[6] = 4;
    memcpy(b.table + 8, "TESTOEM ", 8);
    memcpy(b.table + 16, "BOARD       ", 12);
    put32(b.table + 36, 0xfee00000);
    b.len = 44;
}

static void entry(const uint8_t *e, uint16_t n)
{
    memcpy(b.table + b.len, e, n);
    b.len += n;
    b.count++;
}

static void cpu(uint8_t id, uint8_t flags) { entry((const uint8_t[20]){ 0, id, 0x14, flags }, 20); }

static void bus(uint8_t id, const char *type)
{
    uint8_t e[8] = { 1, id };
    memcpy(e + 2, type, 6);
    entry(e, 8);
}

static void ioapic(uint8_t id, uint8_t flags, uint32_t addr)
{
    uint8_t e[8] = { 2, id, 0x11, flags };
    put32(e + 4, addr);
    entry(e, 8);
}

static void ioint(uint8_t type, uint16_t flags, uint8_t srcbus, uint8_t irq, uint8_t dst,
                  uint8_t pin)
{
    uint8_t e[8] = { 3, type, 0, 0, srcbus, irq, dst, pin };
    put16(e + 2, flags);
    entry(e, 8);
}

static void lint(uint8_t type, uint8_t dst, uint8_t pin)
{
    entry((const uint8_t[8]){ 4, type, 0, 0, 0, 0, dst, pin }, 8);
}

/* A small sound system: two CPUs, ISA bus 1 and PCI bus 0, one I/O APIC, three ISA IRQs
 * (IRQ 0 on pin 2; IRQ 9 level, active low, as an ACPI SCI would be). */
static void std_system(void)
{
    build_start();
    cpu(0, 3);
    cpu(1, 1);
    bus(0, "PCI   ");
    bus(1, "ISA   ");
    ioapic(8, 1, 0xfec00000);
    ioint(0, 0, 1, 0, 8, 2);
    ioint(0, 0, 1, 4, 8, 4);
    ioint(0, 0xf, 1, 9, 8, 9);
    lint(3, 0xff, 0);
    lint(1, 0xff, 1);
}

/* Where the pointer goes: the EBDA's first KiB, base memory's last KiB (EBDA segment 0), or the ROM
 */
enum where { IN_EBDA, IN_BASE_TOP, IN_ROM };

static void place(struct fakemem *m, enum where w)
{
    if (!b.no_fix) {
        put16(b.table + 4, b.len);
        put16(b.table + 34, b.count);
        b.table[7] = 0;
        b.table[7] = (uint8_t)-sum(b.table, b.len);
        b.fp[10] = 0;
        b.fp[10] = (uint8_t)-sum(b.fp, 16);
    }
    fakemem_init(m);
    /* 640 KiB of base memory, so that its last KiB is where the EBDA would be */
    uint16_t seg = w == IN_EBDA ? EBDA_SEG : 0, kib = 640;
    fakemem_add(m, 0x40e, &seg, 2);
    fakemem_add(m, 0x413, &kib, 2);
    static uint8_t low[1024], rom[ROM_LEN];
    memset(low, 0, sizeof low);
    memset(rom, 0, sizeof rom);
    uint8_t *area = fakemem_add(m, (uint64_t)EBDA_SEG << 4, low, sizeof low);
    uint8_t *r = fakemem_add(m, ROM_BASE, rom, sizeof rom);
    memcpy(w == IN_ROM ? r + (FP_ROM - ROM_BASE) : area + 0x40, b.fp, 16);
    memcpy(r + (TABLE_AT - ROM_BASE), b.table, b.len);
    m->rsdp_phys = w == IN_ROM ? FP_ROM : ((uint64_t)EBDA_SEG << 4) + 0x40;
}

static void run(enum where w, const char *corpus_name)
{
    struct fakemem m;
    place(&m, w);
    parse(&m, corpus_name);
    fakemem_free(&m);
}

static void test_built_sound(void)
{
    for (int w = IN_EBDA; w <= IN_ROM; w++) {
        std_system();
        run((enum where)w, w == IN_EBDA       ? "built-ebda"
                           : w == IN_BASE_TOP ? "built-base-top"
                                              : "built-rom");
        CHECK_EQ(rc, 0);
        CHECK_EQ(ai.nproblems, 0);
        CHECK_EQ(ai.mp.fp_phys, w == IN_ROM ? FP_ROM : 0x9fc40);
        CHECK_EQ(ai.ncpus, 2);
        CHECK_EQ(ai.nisos, 3);
        uint32_t gsi;
        bool low, level;
        CHECK_EQ(acpi_isa_irq_to_gsi(&ai, 9, &gsi, &low, &level), 0);
        CHECK_EQ(gsi, 9);
        CHECK(low && level);
        CHECK(has_line("mptable: ISA irqs: 0->2 4->4 9->9 level low"));
    }
    /* An I/O interrupt entry before the I/O APIC and bus it names is still read. */
    build_start();
    ioint(0, 0, 1, 4, 8, 4);
    cpu(0, 3);
    ioapic(8, 1, 0xfec00000);
    bus(1, "ISA   ");
    run(IN_ROM, NULL);
    CHECK_EQ(rc, 0);
    CHECK_EQ(ai.nproblems, 0);
    CHECK_EQ(ai.nisos, 1);
    /* Two I/O APICs: the second's pins follow the first's 24. */
    std_system();
    ioapic(9, 1, 0xfec01000);
    ioint(0, 0, 1, 8, 9, 0);
    b.fp[12] = 0x80; /* IMCR present */
    run(IN_ROM, "built-two-ioapics");
    CHECK_EQ(rc, 0);
    CHECK(ai.mp.imcr);
    CHECK_EQ(ai.ioapics[1].gsi_base, MP_IOAPIC_PINS);
    CHECK(has_line("mptable: ISA irqs: 0->2 4->4 9->9 level low 8->24"));
    CHECK(has_line("mptable: 2 cpus (2 enabled), lapic 0xfee00000, IMCR (PIC mode); buses: 1 ISA, "
                   "1 PCI, 0 other"));
}

static void test_floating_broken(void)
{
    /* Checksum, length and signature: no pointer is found. */
    std_system();
    b.no_fix = true;
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -2);
    std_system();
    b.fp[8] = 2;
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -2);
    /* A pointer outside the areas searched: the EBDA's segment points beyond base memory, and
     * base memory is said to end at 512 KiB (its last KiB is not mapped here). */
    std_system();
    struct fakemem m;
    place(&m, IN_EBDA);
    uint16_t bad = 0xb000, kib = 512;
    memcpy(fakemem_at(&m, 0x40e, 2), &bad, 2);
    memcpy(fakemem_at(&m, 0x413, 2), &kib, 2);
    uint64_t fp;
    CHECK_EQ(mp_find_floating(fakemem_map, &m, &fp), -1);
    kib = 640; /* now it is found there */
    memcpy(fakemem_at(&m, 0x413, 2), &kib, 2);
    CHECK_EQ(mp_find_floating(fakemem_map, &m, &fp), 0);
    CHECK_EQ(fp, 0x9fc40);
    fakemem_free(&m);
    /* Unmapped BIOS data area and ROM: nothing found, nothing read out of range. */
    fakemem_init(&m);
    CHECK_EQ(mp_find_floating(fakemem_map, &m, &fp), -1);
    CHECK_EQ(mp_parse(0x1000, fakemem_map, &m, &ai), -1);
    CHECK(problem_f("mptable: no valid floating pointer at 0x1000"));
    fakemem_free(&m);

    std_system();
    b.fp[11] = 5;
    run(IN_ROM, "broken-default-config");
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: the floating pointer names default configuration 5, which cadre does "
                    "not support"));
    std_system();
    put32(b.fp + 4, 0);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: the floating pointer names no configuration table"));
    std_system();
    put32(b.fp + 4, 0x7000000);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: no PCMP configuration table at 0x7000000"));
}

static void test_table_broken(void)
{
    std_system();
    struct fakemem m;
    place(&m, IN_ROM); /* fixes the checksums; now damage one byte */
    fakemem_free(&m);
    b.no_fix = true;
    b.table[20] ^= 1;
    run(IN_ROM, "broken-table-checksum");
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: configuration table checksum is wrong; table ignored"));

    std_system();
    memcpy(b.table, "PCMQ", 4);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: no PCMP configuration table at 0xf6000"));

    /* A length that runs past the ROM */
    std_system();
    place(&m, IN_ROM);
    uint8_t *t = fakemem_at(&m, TABLE_AT, 44);
    put16(t + 4, 0xf000);
    parse(&m, "broken-table-length");
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: the configuration table's 61440 bytes at 0xf6000 cannot be read"));
    put16(t + 4, 40);
    parse(&m, NULL);
    CHECK(problem_f("mptable: configuration table length 40 is shorter than its header"));
    fakemem_free(&m);

    std_system();
    b.table[6] = 1;
    put32(b.table + 36, 0);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, 0);
    CHECK(problem_f("mptable: the table says spec revision 1, the floating pointer 4"));
    CHECK(problem_f("mptable: local APIC address is 0; taking 0xfee00000"));
    CHECK_EQ(ai.lapic_address, 0xfee00000);

    /* Entry count and entries */
    std_system();
    b.count += 2;
    b.no_fix = true;
    put16(b.table + 4, b.len);
    put16(b.table + 34, b.count);
    b.table[7] = (uint8_t)-sum(b.table, b.len);
    b.fp[10] = (uint8_t)-sum(b.fp, 16);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, 0);
    CHECK(problem_f("mptable: the header counts 12 entries, the table holds 10"));

    std_system();
    entry((const uint8_t[8]){ 7, 1, 2, 3 }, 8);
    ioint(0, 0, 1, 8, 8, 8);
    run(IN_ROM, "broken-unknown-entry");
    CHECK_EQ(rc, 0);
    CHECK(problem_f(
        "mptable: entry 10 at offset 148 has unknown type 7; the rest of the table ignored"));
    CHECK_EQ(ai.nisos, 3); /* the entry after it is not read */

    std_system();
    entry((const uint8_t[8]){ 0, 5, 0x14, 1 }, 8); /* a processor needs 20 bytes */
    run(IN_ROM, "broken-short-entry");
    CHECK(problem_f("mptable: entry 10 at offset 148 runs past the table's 156 bytes; ignored"));
    CHECK_EQ(ai.ncpus, 2);
}

static void test_entries_broken(void)
{
    std_system();
    cpu(1, 1);
    cpu(0xff, 1);
    cpu(2, 0);
    ioapic(8, 1, 0xfec02000);
    ioapic(3, 0, 0xfec03000);
    ioapic(4, 1, 0);
    bus(1, "EISA  ");
    bus(2, "VL    ");
    ioint(0, 0, 1, 3, 7, 3);     /* to an I/O APIC not listed */
    ioint(0, 0, 1, 3, 8, 24);    /* beyond the pins */
    ioint(0, 0, 5, 3, 8, 3);     /* from a bus not listed */
    ioint(0, 0, 2, 3, 8, 3);     /* from a VL bus */
    ioint(0, 0, 1, 16, 8, 16);   /* no ISA IRQ 16 */
    ioint(0, 0, 1, 4, 8, 5);     /* IRQ 4 again */
    ioint(1, 0, 1, 0, 8, 20);    /* an NMI source */
    ioint(9, 0, 1, 0, 8, 21);    /* unknown type */
    ioint(0, 0, 0, 0x0c, 8, 11); /* PCI: counted */
    lint(1, 0xff, 2);
    run(IN_ROM, "broken-entries");
    CHECK_EQ(rc, 0);
    CHECK_EQ(ai.nproblems, 14);
    CHECK(problem_f("mptable: processor entry repeats APIC ID 1; ignored"));
    CHECK(problem_f("mptable: processor entry with the broadcast APIC ID 0xff ignored"));
    CHECK(problem_f("mptable: I/O APIC entry repeats ID 8; ignored"));
    CHECK(problem_f("mptable: I/O APIC 3 is marked unusable; ignored"));
    CHECK(problem_f("mptable: I/O APIC 4 has address 0; ignored"));
    CHECK(problem_f("mptable: bus 1 is listed twice; the first kept"));
    CHECK(problem_f("mptable: bus 1 irq 3 goes to I/O APIC 7, which is not listed; ignored"));
    CHECK(problem_f("mptable: bus 1 irq 3 goes to pin 24 of I/O APIC 8, beyond its 24; ignored"));
    CHECK(problem_f("mptable: irq 3 of bus 5, which is not listed, ignored"));
    CHECK(problem_f("mptable: irq 3 of bus 2, which is neither ISA nor PCI, ignored"));
    CHECK(problem_f("mptable: ISA irq 16 does not exist; entry ignored"));
    CHECK(problem_f("mptable: ISA irq 4 is assigned twice; the first (gsi 4) kept"));
    CHECK(problem_f("mptable: I/O interrupt entry of unknown type 9 ignored"));
    CHECK(problem_f("mptable: local NMI to LINT2, which does not exist; ignored"));
    CHECK_EQ(ai.ncpus, 3);
    CHECK(!ai.cpus[2].enabled);
    CHECK_EQ(ai.nioapics, 1);
    CHECK_EQ(ai.nnmis, 1);
    CHECK_EQ(ai.nmis[0].gsi, 20);
    CHECK_EQ(ai.mp.pci_irqs, 1);

    /* Nothing to run on: no processors, or no usable I/O APIC */
    build_start();
    bus(1, "ISA   ");
    ioapic(8, 1, 0xfec00000);
    run(IN_ROM, NULL);
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: the table lists 0 processors and 1 usable I/O APICs; not used"));
    build_start();
    cpu(0, 3);
    ioapic(8, 0, 0xfec00000);
    run(IN_ROM, "broken-no-ioapic");
    CHECK_EQ(rc, -1);
    CHECK(problem_f("mptable: the table lists 1 processors and 0 usable I/O APICs; not used"));
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            data_dir = argv[++i];
        } else if (!strcmp(argv[i], "--write-corpus") && i + 1 < argc) {
            corpus_dir = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--data DIR] [--write-corpus DIR]\n", argv[0]);
            return 2;
        }
    }
    run_test("mptable", "SeaBIOS -smp 4,sockets=4: 4 cpus, the I/O APIC, 11 ISA IRQs, LINT1 NMI",
             test_seabios_sockets4);
    run_test("mptable", "SeaBIOS -smp 4 (one package): its first cpu only",
             test_seabios_one_package);
    run_test("mptable",
             "built: pointer in EBDA / base memory / ROM, entries out of order, two I/O APICs",
             test_built_sound);
    run_test("mptable",
             "floating pointer: checksum, length, areas, default config, no or bad table pointer",
             test_floating_broken);
    run_test(
        "mptable",
        "table: checksum, signature, length, spec rev, lapic 0, entry count, unknown/short entry",
        test_table_broken);
    run_test("mptable",
             "entries: repeats, broadcast, unusable, bad buses/pins/IRQs, nothing to run on",
             test_entries_broken);
    return check_report();
}
