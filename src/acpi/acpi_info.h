/* What the ACPI parser keeps (struct acpi_info) and the constants of the tables it reads: shared
 * by the parser's files (acpi_internal.h), its public face (acpi_tables.h) and its users.
 * Plain C, like the parser (test/host/ builds it for the host). */
#ifndef CADRE_ACPI_INFO_H
#define CADRE_ACPI_INFO_H

#include "lib/compiler.h"

/* Returns a pointer through which the `len` bytes of physical memory at `phys` can be read, or
 * NULL when they cannot be.  The parser uses a pointer only until its next call to `map`, so a
 * callback may reuse one temporary mapping. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

#define ACPI_MAX_TABLES 64 /* root table entries read; more are reported and left */
#define ACPI_MAX_CPUS 512
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_ISOS 48
#define ACPI_MAX_NMIS 16
/* Local APIC NMI entries: one for each LINT pin of every processor kept, and one per pin for
 * "all processors", so that no processor loses its NMI wiring to the cap. */
#define ACPI_LINT_PINS 2
#define ACPI_MAX_LAPIC_NMIS ((ACPI_MAX_CPUS + 1) * ACPI_LINT_PINS)
#define ACPI_MAX_MCFG 8 /* ECAM windows kept */
#define ACPI_MAX_PROBLEMS 16
#define ACPI_PROBLEM_LEN 120

#define ACPI_SIG_LEN 4
#define ACPI_OEM_ID_LEN 6

/* Generic Address Structure (ACPI 6.5 §5.2.3.2) */
struct acpi_gas {
    uint8_t space_id; /* ACPI_GAS_* */
    uint8_t bit_width, bit_offset, access_size;
    uint64_t address; /* 0: not present */
};

enum {
    ACPI_GAS_SYSTEM_MEMORY = 0,
    ACPI_GAS_SYSTEM_IO = 1,
};

/* One table the root table lists (and the DSDT, reached through the FADT). */
struct acpi_table_ref {
    char sig[ACPI_SIG_LEN + 1]; /* non-printable bytes shown as '?' */
    uint64_t phys;
    uint32_t length;
    uint8_t revision;
    bool valid; /* header, length and checksum were sound */
};

/* A processor from a MADT type 0 (local APIC) or type 9 (local x2APIC) entry. */
struct acpi_cpu {
    uint32_t apic_id;
    uint32_t uid; /* ACPI processor UID */
    uint32_t flags;
    bool enabled;        /* usable now */
    bool online_capable; /* disabled, but may be brought online (ACPI 6.3+) */
    bool x2apic;         /* listed by a type 9 entry */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t address;
    uint32_t gsi_base;
};

/* One ECAM window of the MCFG (PCI Firmware 3.0 §4.1.2, Table 4-3): configuration space of
 * buses bus_start..bus_end of one segment group, bus b's at base + (b << 20). */
struct acpi_mcfg_window {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start, bus_end;
};

/* Interrupt source override (ACPI 6.5 §5.2.12.5); flags are MPS INTI flags (Table 5.26),
 * decoded by acpi_iso_active_low() and acpi_iso_level(). */
struct acpi_iso {
    uint8_t bus; /* 0: ISA */
    uint8_t irq; /* the bus-relative source */
    uint32_t gsi;
    uint16_t flags;
};

/* Non-maskable interrupt source (ACPI 6.5 §5.2.12.6): a GSI that is to be an NMI. */
struct acpi_nmi_source {
    uint16_t flags;
    uint32_t gsi;
};

/* Local APIC NMI (ACPI 6.5 §5.2.12.7, and §5.2.12.13 for the x2APIC form): which LINT pin of
 * which processor has NMI wired to it. */
struct acpi_lapic_nmi {
    uint32_t uid; /* ACPI processor UID; meaningless when `all` */
    bool all;     /* UID 0xFF (type 4) or 0xFFFFFFFF (type 0xA): every processor */
    bool x2apic;  /* from a type 0xA entry */
    uint16_t flags;
    uint8_t lint; /* 0 or 1 */
};

struct acpi_info {
    /* RSDP (ACPI 6.5 §5.2.5.3) */
    uint8_t rsdp_revision; /* 0: ACPI 1.0; 2: ACPI 2.0 and later */
    char oem_id[ACPI_OEM_ID_LEN + 1];
    uint64_t rsdt_phys, xsdt_phys;
    uint64_t root_phys; /* the root table that was read */
    bool root_is_xsdt;

    struct acpi_table_ref tables[ACPI_MAX_TABLES];
    unsigned ntables;

    /* MADT (ACPI 6.5 §5.2.12) */
    bool has_madt;
    uint64_t lapic_address; /* after any type 5 override */
    bool lapic_address_overridden;
    uint32_t madt_flags;
    bool pcat_compat; /* dual 8259s present: mask them before using the I/O APIC */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    unsigned ncpus;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned nioapics;
    struct acpi_iso isos[ACPI_MAX_ISOS];
    unsigned nisos;
    struct acpi_nmi_source nmis[ACPI_MAX_NMIS];
    unsigned nnmis;
    struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_LAPIC_NMIS];
    unsigned nlapic_nmis;
    /* Firmware placeholders, counted for one summary line instead of a problem each: disabled
     * processor entries that repeat an APIC ID already listed (some boards list dozens, all
     * with APIC ID 0), and disabled ones with the broadcast ID. */
    struct {
        unsigned count;
        uint32_t first_apic_id;
    } madt_repeated_placeholders;
    unsigned madt_broadcast_placeholders;

    /* FADT (ACPI 6.5 §5.2.9); fields the table is too short for stay 0 */
    bool has_fadt;
    uint8_t fadt_revision;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable; /* values to write to smi_cmd */
    struct acpi_gas pm1a_cnt, pm1b_cnt;
    struct acpi_gas pm_timer;
    bool pm_timer_32bit; /* TMR_VAL_EXT: 32-bit counter, else 24-bit */
    uint32_t fadt_flags;
    uint16_t iapc_boot_arch;
    bool has_reset; /* RESET_REG_SUP and a table long enough for the register */
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint64_t dsdt_phys;

    /* \_S5 in the DSDT (ACPI 6.5 §7.4.2): the SLP_TYPa/b values for soft-off */
    bool s5_valid;
    uint8_t s5_slp_typ_a, s5_slp_typ_b;

    /* HPET (IA-PC HPET 1.0a §3.2.4) */
    bool has_hpet;
    uint64_t hpet_address;
    uint32_t hpet_block_id; /* Event Timer Block ID */
    uint8_t hpet_comparators;
    uint8_t hpet_number;
    uint16_t hpet_min_tick; /* main counter ticks, periodic mode */
    uint16_t hpet_vendor_id;
    bool hpet_counter_64;
    bool hpet_legacy_capable;

    /* Intel MP table (src/acpi/mptable.c), read where there is no ACPI: it fills cpus,
     * ioapics, isos, nmis, lapic_nmis and lapic_address as the MADT would. */
    bool from_mptable;
    struct {
        uint64_t fp_phys, table_phys; /* floating pointer, configuration table */
        uint8_t spec_rev;             /* 1: MP spec 1.1, 4: 1.4 */
        uint8_t default_config;       /* feature byte 1: a default configuration, no table */
        bool imcr;                    /* feature byte 2 bit 7: IMCR present, PIC mode */
        uint16_t table_len, nentries;
        char oem_id[9], product_id[13];
        unsigned nbuses, isa_buses, pci_buses;
        unsigned pci_irqs;   /* PCI interrupt entries: not used (cadre routes ISA IRQs) */
        unsigned other_irqs; /* SMI and ExtINT entries, and ExtINT local ones: not used */
    } mp;
    /* MCFG (PCI Firmware 3.0 §4.1.2): the ECAM windows, sound ones only */
    bool has_mcfg;
    struct acpi_mcfg_window mcfg[ACPI_MAX_MCFG];
    unsigned nmcfg;

    /* The first ACPI_MAX_PROBLEMS findings, each naming its table; nproblems counts all. */
    char problems[ACPI_MAX_PROBLEMS][ACPI_PROBLEM_LEN];
    unsigned nproblems;
};

/* MADT flags (ACPI 6.5 Table 5.20) */
#define ACPI_MADT_PCAT_COMPAT (1u << 0)
/* Local APIC / x2APIC flags (ACPI 6.5 Table 5.23) */
#define ACPI_CPU_ENABLED (1u << 0)
#define ACPI_CPU_ONLINE_CAPABLE (1u << 1)

/* MPS INTI flags (ACPI 6.5 Table 5.26) */
#define ACPI_INTI_POLARITY_MASK 0x3u
#define ACPI_INTI_POLARITY_BUS 0x0u
#define ACPI_INTI_POLARITY_HIGH 0x1u
#define ACPI_INTI_POLARITY_LOW 0x3u
#define ACPI_INTI_TRIGGER_SHIFT 2
#define ACPI_INTI_TRIGGER_MASK (0x3u << ACPI_INTI_TRIGGER_SHIFT)
#define ACPI_INTI_TRIGGER_BUS (0x0u << ACPI_INTI_TRIGGER_SHIFT)
#define ACPI_INTI_TRIGGER_EDGE (0x1u << ACPI_INTI_TRIGGER_SHIFT)
#define ACPI_INTI_TRIGGER_LEVEL (0x3u << ACPI_INTI_TRIGGER_SHIFT)

/* FADT fixed feature flags (ACPI 6.5 Table 5.10) */
#define ACPI_FADT_TMR_VAL_EXT (1u << 8)
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

/* FADT IA-PC boot architecture flags (ACPI 6.5 Table 5.11) */
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042 (1u << 1)
#define ACPI_BOOT_NO_VGA (1u << 2)
#define ACPI_BOOT_NO_MSI (1u << 3)
#define ACPI_BOOT_NO_CMOS_RTC (1u << 5)

#define ACPI_ISA_IRQS 16

#endif
