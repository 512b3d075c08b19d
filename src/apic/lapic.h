/* The local APIC, through one interface over both of its modes (SDM vol. 3A ch. 11):
 * xAPIC, registers in a 4 KiB MMIO page (mapped uncached), and x2APIC, registers as MSRs
 * 0x800 + offset/16.  x2APIC is used where CPUID has it, unless `apic=xapic`. */
#ifndef CADRE_LAPIC_H
#define CADRE_LAPIC_H

#include "apic/delivery.h"
#include "lib/compiler.h"

/* Register offsets in the xAPIC page (SDM vol. 3A table 11-1); the x2APIC MSR is
 * X2APIC_MSR_BASE + offset / 16 (table 11-6). */
/* clang-format off: register bits stay indented under their register */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080 /* task priority */
#define LAPIC_PPR 0x0a0 /* processor priority */
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0 /* spurious interrupt vector */
#define SVR_ENABLE 0x100
#define LAPIC_ISR 0x100          /* in service: 8 registers, 0x10 apart */
#define LAPIC_BITMAP_STRIDE 0x10 /* ISR, TMR, IRR: one 32-bit register every 16 bytes (§11.4.1) */
#define LAPIC_TMR 0x180          /* trigger mode */
#define LAPIC_IRR 0x200          /* interrupt request */
#define LAPIC_ESR 0x280          /* error status */
#define ESR_SEND_CHECKSUM 0x01
#define ESR_RECV_CHECKSUM 0x02
#define ESR_SEND_ACCEPT 0x04
#define ESR_RECV_ACCEPT 0x08
#define ESR_REDIRECTABLE_IPI 0x10
#define ESR_SEND_ILLEGAL_VECTOR 0x20
#define ESR_RECV_ILLEGAL_VECTOR 0x40
#define ESR_ILLEGAL_REGISTER 0x80
#define LAPIC_ICR_LO 0x300 /* interrupt command; in x2APIC one 64-bit MSR */
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LVT_DELIVERY(mode) ((uint32_t)(mode) << APIC_DELIVERY_SHIFT) /* enum apic_delivery */
#define LVT_ACTIVE_LOW 0x2000
#define LVT_LEVEL 0x8000
#define LVT_MASKED 0x10000
#define LVT_TIMER_PERIODIC 0x20000
#define LVT_TIMER_TSC_DEADLINE 0x40000
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define TIMER_DIVIDE_BY_16 0x3

#define X2APIC_MSR_BASE 0x800
#define MSR_TSC_DEADLINE 0x6e0
/* IA32_APIC_BASE bits (SDM vol. 3A §11.4.4, §11.12.1) */
#define APIC_BASE_BSP 0x100
#define APIC_BASE_EXTD 0x400 /* x2APIC mode */
#define APIC_BASE_ENABLE 0x800
#define APIC_BASE_ADDR_MASK 0xffffff000ULL
/* clang-format on */

enum lapic_mode { LAPIC_NONE, LAPIC_XAPIC, LAPIC_X2APIC };

/* Once, on the BSP: chooses the mode and maps the xAPIC page.  `madt_address` is the MADT's
 * local APIC address (0 where there is no MADT). */
void lapic_setup(uint64_t madt_address);
/* On every CPU, from cpu_init: enables this CPU's local APIC in the chosen mode. */
void lapic_init(void);
enum lapic_mode lapic_mode(void);
const char *lapic_mode_name(void);

uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Whether `vector` is in service on this CPU (ISR bit), e.g. to decide whether it needs an EOI. */
bool lapic_in_service(unsigned vector);
bool lapic_pending(unsigned vector);
/* The highest vector this CPU's local APIC holds requested (IRR) or in service (ISR), or -1. */
int lapic_highest_pending(void);
int lapic_highest_in_service(void);
/* For a CPU about to park: masks LINT0, LINT1 (the host's inject-nmi arrives there) and the
 * error LVT, so that nothing the local APIC raises by itself reaches it any more.  The timer
 * is lapic_timer_stop()'s. */
void lapic_quiesce(void);

/* The highest APIC ID the xAPIC can address: its IDs are 8 bits and 0xff is the broadcast
 * (SDM vol. 3A §11.6.2.1); a CPU with a higher one needs x2APIC mode. */
#define XAPIC_MAX_ID 0xfe

/* TPR: blocks every priority class <= class (SDM vol. 3A §11.8.3.1). */
void lapic_set_tpr_class(unsigned class);
unsigned lapic_tpr_class(void);

/* Which LINT pins carry NMI for this CPU (from the MADT's local APIC NMI entries); LINT0 and
 * LINT1 (SDM vol. 3A §11.5.1). */
#define LAPIC_LINT_PINS 2
struct lapic_lint {
    bool nmi;
    bool active_low, level;
};
/* The firmware's LINT wiring, handed over by acpi_init before any CPU runs lapic_init: for the
 * CPU with this APIC ID, and for any CPU not given (set_lints_default).  Without any call, LINT1
 * is NMI and LINT0 masked (the PC wiring, MP spec §5.1). */
void lapic_set_lints(uint32_t apic_id, struct lapic_lint lint0, struct lapic_lint lint1);
void lapic_set_lints_default(struct lapic_lint lint0, struct lapic_lint lint1);

/* The handlers of the local APIC's own vectors, installed by irq_init (src/irq/irq.c). */
void lapic_spurious_interrupt(void);
void lapic_error_interrupt(void);

/* Counters read by the interrupt table */
uint64_t lapic_error_count(unsigned cpu);

#endif
