/* The per-CPU area: one per CPU, found through IA32_GS_BASE (docs/percpu.md).
 *
 * Its head is the seeds' fixed_percpu_data: a self pointer at %gs:0 and the stack-protector
 * canary at %gs:40, where -mstack-protector-guard-reg=gs -mstack-protector-guard-offset=40
 * makes the compiler look for it.  this_cpu_read/this_cpu_write go through a __seg_gs pointer,
 * so each is one gs-relative instruction and the compiler checks the field's type. */
#ifndef CADRE_PERCPU_H
#define CADRE_PERCPU_H

#include "cpu/percpu.defs.h"
#include "lib/compiler.h"

struct percpu {
    struct percpu *self;  /* %gs:0 */
    uint64_t reserved[4]; /* keeps the canary at 40, as in the seeds' fixed_percpu_data */
    uint64_t stack_canary; /* %gs:40 */
    uint32_t cpu;          /* dense CPU number, BSP = 0; never an APIC ID */
    uint32_t apic_id;
    uint32_t in_panic;     /* this CPU is printing a panic report */
};

_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "percpu self");
_Static_assert(__builtin_offsetof(struct percpu, stack_canary) == PERCPU_CANARY, "canary at %gs:40");
_Static_assert(__builtin_offsetof(struct percpu, cpu) == PERCPU_CPU, "percpu cpu");

#define this_cpu_ptr_gs() ((struct percpu __seg_gs *)0)
#define this_cpu_read(field) (this_cpu_ptr_gs()->field)
#define this_cpu_write(field, v) (this_cpu_ptr_gs()->field = (v))

extern struct percpu bsp_percpu;

static inline struct percpu *this_cpu(void) { return this_cpu_read(self); }
static inline unsigned cpu_id(void) { return this_cpu_read(cpu); }

/* Sets this CPU's canary.  Call it only from a function that never returns and has no stack
 * protector itself (kmain, the AP entry): frames already on the stack hold the old value. */
void percpu_canary_init(void);

#endif
