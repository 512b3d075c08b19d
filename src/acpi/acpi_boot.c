#include "acpi/acpi_boot.h"

#include "apic/lapic.h"
#include "boot/bootinfo.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/power.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "mm/paging.h"

struct acpi_info acpi;
bool acpi_ok;
static bool verbose;

/* PM1 control register bits (ACPI 6.5 table 4.13) */
#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN 0x2000
#define ACPI_ENABLE_WAIT_US 300000

static const char *param_verbose(const char *v)
{
    if (v)
        return "takes no value";
    verbose = true;
    return NULL;
}
KERNEL_PARAM("acpi.verbose", param_verbose, "list every MADT processor entry at boot");

/* Firmware tables are RAM the direct map covers (at least the first 4 GiB). */
static const void *map(uint64_t phys, size_t len, void *ctx)
{
    (void)ctx;
    return paging_direct_mapped(phys, len) ? phys_to_virt(phys) : NULL;
}

static void print_line(void *ctx, const char *text)
{
    (void)ctx;
    kprintf("%s", text);
}

const struct acpi_cpu *acpi_cpu_by_apic_id(uint32_t apic_id)
{
    for (unsigned i = 0; i < acpi.ncpus; i++)
        if (acpi.cpus[i].apic_id == apic_id)
            return &acpi.cpus[i];
    return NULL;
}

/* LINT pins from the MADT's local APIC NMI entries for this CPU's UID, or for all. */
static struct lapic_lint lint_from_madt(unsigned cpu, unsigned pin)
{
    struct lapic_lint l = { 0 };
    uint16_t flags;
    if (acpi_lint_nmi(&acpi, acpi_cpu_by_apic_id(per_cpu(cpu, apic_id)), pin, &flags)) {
        l.nmi = true;
        l.active_low = acpi_iso_active_low(flags, false);
        l.level = acpi_iso_level(flags, false);
    }
    return l;
}

/* ACPI 6.5 §7.4.2.5 and §4.8.3.2.1: SLP_TYPx with SLP_EN into PM1a (and PM1b) control. */
static bool s5(void)
{
    if (!acpi_ok || !acpi.s5_valid || acpi.pm1a_cnt.space_id != ACPI_GAS_SYSTEM_IO || !acpi.pm1a_cnt.address)
        return false;
    uint16_t a = (uint16_t)acpi.pm1a_cnt.address;
    if (!(inw(a) & PM1_SCI_EN) && acpi.smi_cmd && acpi.acpi_enable) {
        outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
        uint64_t deadline = time_deadline_us(ACPI_ENABLE_WAIT_US);
        while (!(inw(a) & PM1_SCI_EN) && !time_after(deadline))
            cpu_relax();
    }
    kprintf("cadre: ACPI S5 (SLP_TYP %u/%u)", acpi.s5_slp_typ_a, acpi.s5_slp_typ_b);
    if (acpi.pm1b_cnt.address && acpi.pm1b_cnt.space_id == ACPI_GAS_SYSTEM_IO) {
        uint16_t b = (uint16_t)acpi.pm1b_cnt.address;
        outw(b, (inw(b) & ~(7u << PM1_SLP_TYP_SHIFT)) | acpi.s5_slp_typ_b << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
    }
    outw(a, (inw(a) & ~(7u << PM1_SLP_TYP_SHIFT)) | acpi.s5_slp_typ_a << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
    udelay(100000);
    return false; /* still running: S5 did not take */
}

bool acpi_power_off(void) { return s5(); }

void acpi_init(void)
{
    uint8_t rsdp[MB2_RSDP_MAX];
    size_t len = boot_info.rsdp_len;
    const char *from = "the multiboot2 tag";
    if (len) {
        memcpy(rsdp, boot_info.rsdp, len);
    } else if (boot_info.efi) {
        /* UEFI has no EBDA and need not shadow anything at 0xE0000; the RSDP is in the EFI
         * configuration table (UEFI 2.10 §4.6), which GRUB copies into tags 14/15. */
        kprintf("acpi: warning: no RSDP tag from the loader, and under UEFI there is no BIOS area to "
                "search (EBDA, 0xE0000-0xFFFFF): skipped; one CPU, legacy interrupts");
        return;
    } else {
        uint64_t phys;
        if (acpi_find_rsdp_bios(map, NULL, &phys)) {
            kprintf("acpi: warning: no RSDP from the loader or in the BIOS areas; one CPU, legacy interrupts");
            return;
        }
        /* The RSDP's own revision says whether it is 20 or 36 bytes (ACPI 6.5 §5.2.5.3). */
        const uint8_t *p = map(phys, 36, NULL);
        if (!p) {
            kprintf("acpi: warning: the RSDP at %#llx is not mapped; one CPU, legacy interrupts",
                    (unsigned long long)phys);
            return;
        }
        len = p[15] >= 2 ? 36 : 20;
        memcpy(rsdp, p, len);
        from = "the BIOS area scan";
    }
    acpi_ok = acpi_parse(rsdp, len, map, NULL, &acpi) == 0;
    kprintf("acpi: RSDP from %s", from);
    acpi_info_summary(&acpi, verbose || acpi.ncpus <= 16, print_line, NULL);
    if (!acpi_ok) {
        kprintf("acpi: warning: tables unusable; one CPU, legacy interrupts");
        return;
    }
    if (acpi.nlapic_nmis)
        lapic_lint_for_cpu = lint_from_madt;
}
