/* Host tests of the ACPI table parser (src/acpi/): real tables dumped from QEMU and Bochs
 * (tools/dump-acpi.py), hand-built ones (test_acpi_built.c) and broken ones
 * (test_acpi_broken.c).  Usage: test_acpi [--data DIR] [--write-corpus DIR] */
#include "test_acpi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parsed parsed;
static const char *data_dir = "test/host/data";
static const char *corpus_dir;

static void summary_line(void *ctx, const char *text)
{
    (void)ctx;
    if (strlen(text) >= SUMMARY_LINE_LEN - 1) /* the parser's own lines are shorter */
        printf("  summary line too long: %s\n", text);
    if (parsed.nlines < SUMMARY_MAX_LINES)
        snprintf(parsed.lines[parsed.nlines++], SUMMARY_LINE_LEN, "%s", text);
}

const struct acpi_info *parse_rsdp(struct fakemem *m, const void *rsdp, size_t rsdp_len)
{
    memset(&parsed, 0, sizeof parsed);
    parsed.rc = acpi_parse(rsdp, rsdp_len, fakemem_map, m, &parsed.ai);
    acpi_info_summary(&parsed.ai, true, summary_line, NULL);
    if (getenv("TEST_ACPI_VERBOSE"))
        for (unsigned i = 0; i < parsed.nlines; i++)
            printf("    %s\n", parsed.lines[i]);
    return &parsed.ai;
}

const struct acpi_info *parse_sys(struct sys *s, const char *corpus_name)
{
    if (corpus_name)
        corpus_save(corpus_name, &s->mem);
    return parse_rsdp(&s->mem, s->rsdp, s->rsdp_len);
}

bool has_problem(const char *text)
{
    for (unsigned i = 0; i < parsed.ai.nproblems && i < ACPI_MAX_PROBLEMS; i++)
        if (strstr(parsed.ai.problems[i], text))
            return true;
    printf("  no problem line contains \"%s\"; there are %u:\n", text, parsed.ai.nproblems);
    for (unsigned i = 0; i < parsed.ai.nproblems && i < ACPI_MAX_PROBLEMS; i++)
        printf("    %s\n", parsed.ai.problems[i]);
    return false;
}

bool has_line(const char *text)
{
    for (unsigned i = 0; i < parsed.nlines; i++)
        if (!strcmp(parsed.lines[i], text))
            return true;
    printf("  no summary line \"%s\"; the summary is:\n", text);
    for (unsigned i = 0; i < parsed.nlines; i++)
        printf("    %s\n", parsed.lines[i]);
    return false;
}

bool line_f(const char *fmt, ...)
{
    char text[SUMMARY_LINE_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return has_line(text);
}

bool problem_f(const char *fmt, ...)
{
    char text[SUMMARY_LINE_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return has_problem(text);
}

const struct acpi_cpu *find_cpu(uint32_t apic_id)
{
    for (unsigned i = 0; i < parsed.ai.ncpus; i++)
        if (parsed.ai.cpus[i].apic_id == apic_id)
            return &parsed.ai.cpus[i];
    return NULL;
}

void corpus_save(const char *name, const struct fakemem *m)
{
    if (!corpus_dir)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", corpus_dir, name);
    size_t len;
    uint8_t *buf = fakemem_save(m, &len);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        fprintf(stderr, "test_acpi: cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    free(buf);
}

/* ---- real tables ------------------------------------------------------------------------- */

static struct fakemem mem;

/* Loads an image and parses it from its RSDP, as the kernel would from the BIOS. */
static const struct acpi_info *parse_image(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", data_dir, file);
    fakemem_free(&mem);
    if (fakemem_load_file(&mem, path)) {
        printf("  cannot load %s\n", path);
        CHECK(!"image loads");
        memset(&parsed, 0, sizeof parsed);
        return &parsed.ai;
    }
    /* An ACPI 1.0 RSDP is 20 bytes; 2.0 and later, 36. */
    const uint8_t *rsdp = fakemem_at(&mem, mem.rsdp_phys, 20);
    CHECK(rsdp != NULL);
    uint8_t copy[36] = { 0 };
    size_t len = rsdp && rsdp[15] >= 2 ? 36 : 20;
    rsdp = fakemem_at(&mem, mem.rsdp_phys, len);
    if (rsdp)
        memcpy(copy, rsdp, len);
    const struct acpi_info *ai = parse_rsdp(&mem, copy, len);
    CHECK_EQ(mem.map_misses, 0);
    return ai;
}

/* QEMU's PIIX4 machine: ISA IRQ 0 goes to GSI 2, the PCI link IRQs 5, 9, 10, 11 are level
 * triggered, active high (QEMU's flags 0xD); LINT1 of every CPU is the NMI. */
static void check_qemu_madt(const struct acpi_info *ai, unsigned ncpus)
{
    CHECK(ai->has_madt);
    CHECK_EQ(ai->ncpus, ncpus);
    CHECK_EQ(ai->lapic_address, 0xfee00000);
    CHECK(!ai->lapic_address_overridden);
    CHECK(ai->pcat_compat);
    CHECK_EQ(ai->nioapics, 1);
    CHECK_EQ(ai->ioapics[0].id, 0);
    CHECK_EQ(ai->ioapics[0].address, 0xfec00000);
    CHECK_EQ(ai->ioapics[0].gsi_base, 0);
    CHECK_EQ(ai->nisos, 5);
    static const uint8_t irqs[] = { 0, 5, 9, 10, 11 };
    for (unsigned i = 0; i < 5 && i < ai->nisos; i++) {
        CHECK_EQ(ai->isos[i].bus, 0);
        CHECK_EQ(ai->isos[i].irq, irqs[i]);
        CHECK_EQ(ai->isos[i].gsi, i ? irqs[i] : 2);
        CHECK_EQ(ai->isos[i].flags, i ? 0xd : 0);
    }
    CHECK_EQ(ai->nnmis, 0);
    CHECK_EQ(ai->nlapic_nmis, 1);
    CHECK(ai->lapic_nmis[0].all);
    CHECK_EQ(ai->lapic_nmis[0].uid, 0xff);
    CHECK_EQ(ai->lapic_nmis[0].lint, 1);
    CHECK(!ai->lapic_nmis[0].x2apic);

    uint32_t gsi;
    bool low, level;
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 0, &gsi, &low, &level), 0);
    CHECK_EQ(gsi, 2);
    CHECK(!low && !level);
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 2, &gsi, &low, &level), -1);
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 4, &gsi, &low, &level), 0);
    CHECK_EQ(gsi, 4);
    CHECK(!low && !level);
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 9, &gsi, &low, &level), 0);
    CHECK_EQ(gsi, 9);
    CHECK(!low && level);
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 16, &gsi, &low, &level), -1);
    CHECK(has_line("acpi: MADT: override irq 0 -> gsi 2 (edge, high)"));
    CHECK(has_line("acpi: MADT: override irq 9 -> gsi 9 (level, high)"));
    CHECK(has_line("acpi: MADT: lapic nmi uid 0xff (all) lint1"));
    CHECK(has_line("acpi: MADT: ioapic id 0 at 0xfec00000 gsi base 0"));
}

static void check_qemu_hpet(const struct acpi_info *ai)
{
    /* QEMU's block ID 0x8086A201: Intel, legacy capable, 64-bit, last comparator 2. */
    CHECK(ai->has_hpet);
    CHECK_EQ(ai->hpet_address, 0xfed00000);
    CHECK_EQ(ai->hpet_block_id, 0x8086a201);
    CHECK_EQ(ai->hpet_comparators, 3);
    CHECK_EQ(ai->hpet_vendor_id, 0x8086);
    CHECK(ai->hpet_counter_64);
    CHECK(ai->hpet_legacy_capable);
    CHECK_EQ(ai->hpet_min_tick, 0);
    CHECK(has_line("acpi: HPET at 0xfed00000, 3 comparators, 64-bit counter, min tick 0"));
}

static void test_qemu_pc(void)
{
    const struct acpi_info *ai = parse_image("qemu-pc-smp4.mem");
    uint64_t found = 0;
    CHECK_EQ(acpi_find_rsdp_bios(fakemem_map, &mem, &found), 0);
    CHECK_EQ(found, 0xf59d0);
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->rsdp_revision, 0);
    CHECK_STR(ai->oem_id, "BOCHS");
    CHECK_EQ(ai->rsdt_phys, 0x7fe1bef);
    CHECK(!ai->root_is_xsdt);
    CHECK(has_line("acpi: RSDP rev 0 (ACPI 1.0), RSDT at 0x7fe1bef, OEM BOCHS"));
    CHECK(has_line("acpi: tables: FACP APIC HPET WAET DSDT"));
    CHECK_EQ(ai->ntables, 5);
    CHECK_EQ(ai->tables[1].phys, 0x7fe1aff);
    CHECK_EQ(ai->tables[1].length, 144);
    CHECK(ai->tables[1].valid);

    check_qemu_madt(ai, 4);
    for (uint32_t id = 0; id < 4; id++) {
        const struct acpi_cpu *c = find_cpu(id);
        CHECK(c && c->enabled && c->uid == id && !c->x2apic && !c->online_capable);
    }
    CHECK(has_line("acpi: MADT: 4 cpus (4 enabled), lapic 0xfee00000, pcat_compat"));
    CHECK(has_line("acpi: MADT: cpu apic 0x2 uid 2 enabled"));

    CHECK(ai->has_fadt);
    CHECK_EQ(ai->fadt_revision, 1);
    CHECK_EQ(ai->sci_int, 9);
    CHECK_EQ(ai->smi_cmd, 0xb2);
    CHECK_EQ(ai->acpi_enable, 0xf1);
    CHECK_EQ(ai->acpi_disable, 0xf0);
    CHECK_EQ(ai->pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK_EQ(ai->pm_timer.address, 0x608);
    CHECK(!ai->pm_timer_32bit);
    CHECK_EQ(ai->pm1a_cnt.address, 0x604);
    CHECK_EQ(ai->pm1a_cnt.bit_width, 16);
    CHECK_EQ(ai->pm1b_cnt.address, 0);
    CHECK_EQ(ai->fadt_flags, 0x80a5);
    CHECK(!ai->has_reset);
    CHECK_EQ(ai->dsdt_phys, 0x7fe0040);
    CHECK(ai->s5_valid);
    CHECK_EQ(ai->s5_slp_typ_a, 0);
    CHECK_EQ(ai->s5_slp_typ_b, 0);
    CHECK(has_line(
        "acpi: FADT: rev 1, sci 9, pm timer 0x608 (24-bit), pm1a_cnt 0x604, S5 slp_typ 0/0"));
    check_qemu_hpet(ai);
    CHECK(!ai->has_mcfg); /* pc has no ECAM: configuration space through ports 0xcf8/0xcfc */
}

static void test_qemu_q35(void)
{
    const struct acpi_info *ai = parse_image("qemu-q35-smp4.mem");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK(has_line("acpi: tables: FACP APIC HPET MCFG WAET DSDT"));
    check_qemu_madt(ai, 4);
    /* A revision 3 FADT: the X_ blocks are filled in and preferred. */
    CHECK_EQ(ai->fadt_revision, 3);
    CHECK_EQ(ai->sci_int, 9);
    CHECK_EQ(ai->pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK_EQ(ai->pm_timer.bit_width, 32);
    CHECK_EQ(ai->pm_timer.address, 0x608);
    CHECK_EQ(ai->pm1a_cnt.address, 0x604);
    CHECK_EQ(ai->pm1a_cnt.bit_width, 16);
    CHECK(ai->has_reset);
    CHECK_EQ(ai->reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK_EQ(ai->reset_reg.address, 0xcf9);
    CHECK_EQ(ai->reset_value, 0xf);
    CHECK_EQ(ai->iapc_boot_arch, ACPI_BOOT_8042);
    CHECK_EQ(ai->dsdt_phys, 0x7fe0040);
    CHECK(ai->s5_valid);
    CHECK(has_line("acpi: FADT: rev 3, sci 9, pm timer 0x608 (24-bit), pm1a_cnt 0x604, S5 slp_typ "
                   "0/0, reset 0xcf9=0xf"));
    check_qemu_hpet(ai);
    /* QEMU's q35 puts its ECAM window at 0xb0000000, 256 buses (hw/i386/acpi-build.c). */
    CHECK(ai->has_mcfg);
    CHECK_EQ(ai->nmcfg, 1);
    CHECK_EQ(ai->mcfg[0].base, 0xb0000000);
    CHECK_EQ(ai->mcfg[0].segment, 0);
    CHECK_EQ(ai->mcfg[0].bus_start, 0);
    CHECK_EQ(ai->mcfg[0].bus_end, 255);
    CHECK(has_line("acpi: MCFG: ecam 0xb0000000 segment 0 buses 0-255"));
}

static void test_qemu_maxcpus(void)
{
    const struct acpi_info *ai = parse_image("qemu-pc-smp4-maxcpus8.mem");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    check_qemu_madt(ai, 8);
    /* QEMU 7.2 marks the CPUs that may be hot-plugged neither enabled nor online capable. */
    for (uint32_t id = 0; id < 8; id++) {
        const struct acpi_cpu *c = find_cpu(id);
        CHECK(c && c->uid == id && c->enabled == (id < 4) && !c->online_capable);
    }
    CHECK(has_line("acpi: MADT: 8 cpus (4 enabled), lapic 0xfee00000, pcat_compat"));
    CHECK(has_line("acpi: MADT: cpu apic 0x5 uid 5 disabled"));
}

static void test_qemu_sparse(void)
{
    const struct acpi_info *ai = parse_image("qemu-pc-smp6-sockets2.mem");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    check_qemu_madt(ai, 6);
    /* 2 sockets of 3 cores: the core ID takes 2 bits, so socket 1 starts at APIC ID 4. */
    static const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };
    for (unsigned i = 0; i < 6 && i < ai->ncpus; i++) {
        CHECK_EQ(ai->cpus[i].apic_id, ids[i]);
        CHECK_EQ(ai->cpus[i].uid, i);
        CHECK(ai->cpus[i].enabled);
    }
    CHECK(find_cpu(3) == NULL);
    CHECK(has_line("acpi: MADT: cpu apic 0x4 uid 3 enabled"));
}

static void test_bochs(void)
{
    const struct acpi_info *ai = parse_image("bochs-smp4.mem");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_STR(ai->oem_id, "BOCHS");
    CHECK_EQ(ai->rsdt_phys, 0x1ff0000);
    CHECK(has_line("acpi: tables: FACP APIC SSDT HPET DSDT"));
    /* Bochs numbers its I/O APIC after the CPUs and lists no NMI wiring. */
    CHECK_EQ(ai->ncpus, 4);
    for (uint32_t id = 0; id < 4; id++)
        CHECK(find_cpu(id) && find_cpu(id)->enabled);
    CHECK_EQ(ai->nioapics, 1);
    CHECK_EQ(ai->ioapics[0].id, 4);
    CHECK_EQ(ai->ioapics[0].address, 0xfec00000);
    CHECK_EQ(ai->nisos, 1);
    CHECK_EQ(ai->isos[0].irq, 0);
    CHECK_EQ(ai->isos[0].gsi, 2);
    CHECK_EQ(ai->nlapic_nmis, 0);
    CHECK(ai->pcat_compat);
    CHECK_EQ(ai->sci_int, 9);
    CHECK_EQ(ai->pm_timer.address, 0xb008);
    CHECK_EQ(ai->pm1a_cnt.address, 0xb004);
    CHECK_EQ(ai->fadt_flags, 0x75);
    CHECK(ai->s5_valid);
    CHECK_EQ(ai->s5_slp_typ_a, 0);
    CHECK(ai->has_hpet);
    CHECK_EQ(ai->hpet_address, 0xfed00000);
    CHECK_EQ(ai->hpet_comparators, 3);
}

void acpi_real_tests(void)
{
    run_test("acpi", "QEMU pc -smp 4 (RSDP found in the BIOS area)", test_qemu_pc);
    run_test("acpi", "QEMU q35 -smp 4 (FADT revision 3, reset register)", test_qemu_q35);
    run_test("acpi", "QEMU pc -smp 4,maxcpus=8 (4 enabled, 4 not)", test_qemu_maxcpus);
    run_test("acpi", "QEMU pc -smp 6,sockets=2,cores=3 (sparse APIC IDs)", test_qemu_sparse);
    run_test("acpi", "Bochs BIOS -smp 4 (SSDT, I/O APIC id 4)", test_bochs);
    fakemem_free(&mem);
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
    acpi_real_tests();
    acpi_built_tests();
    acpi_broken_tests();
    return check_report();
}
