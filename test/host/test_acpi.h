/* Shared by the ACPI parser's host tests (test_acpi*.c). */
#ifndef CADRE_TEST_ACPI_H
#define CADRE_TEST_ACPI_H

#include "acpi/acpi_tables.h"
#include "acpi_build.h"
#include "check.h"
#include "fakemem.h"

#define SUMMARY_MAX_LINES 256
#define SUMMARY_LINE_LEN 200

/* The last parse: its result, what it found and the summary it printed. */
struct parsed {
    int rc;
    struct acpi_info ai;
    char lines[SUMMARY_MAX_LINES][SUMMARY_LINE_LEN];
    unsigned nlines;
};
extern struct parsed parsed;

/* Parses `m` from the RSDP copy given; fills `parsed` (summary verbose) and returns &parsed.ai. */
const struct acpi_info *parse_rsdp(struct fakemem *m, const void *rsdp, size_t rsdp_len);
/* Parses the system as its RSDP copy says; with a corpus directory set, saves its image there. */
const struct acpi_info *parse_sys(struct sys *s, const char *corpus_name);
bool has_problem(const char *text); /* some problem line contains `text` */
bool has_line(const char *text);    /* some summary line equals `text` */
/* The same with a formatted text */
__attribute__((format(printf, 1, 2))) bool line_f(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) bool problem_f(const char *fmt, ...);
const struct acpi_cpu *find_cpu(uint32_t apic_id);
/* Saves `m` as corpus_dir/name when --write-corpus was given. */
void corpus_save(const char *name, const struct fakemem *m);

/* QEMU's _S5: Name (_S5, Package (4) { Zero, Zero, Zero, Zero }) */
#define AML_S5_QEMU 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00
/* Places a DSDT with `aml` (unlisted), an ACPI 1.0 FADT pointing at it, `madt` when given and an
 * HPET, in that order; the caller then calls sys_finish(). */
void std_tables(struct sys *s, const struct tbl *madt, const uint8_t *aml, size_t aml_len);

void acpi_real_tests(void);
void acpi_built_tests(void);
void acpi_broken_tests(void);

#endif
