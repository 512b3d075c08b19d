/* Offsets into struct percpu that assembly uses; src/cpu/percpu.h checks each against the C
 * struct at build time. */
#ifndef CADRE_PERCPU_DEFS_H
#define CADRE_PERCPU_DEFS_H

#define PERCPU_SELF 0
#define PERCPU_IRQ_STACK_TOP 8
#define PERCPU_IRQ_COUNT 16
#define PERCPU_NMI_STATE 20
#define PERCPU_NMI_WORK_TOP 24
#define PERCPU_NMI_LATCHED 32
#define PERCPU_NMI_SWAPGS_TMP 36
#define PERCPU_CANARY 40
#define PERCPU_CPU 48
#define PERCPU_USER_RSP 64
#define PERCPU_SYSCALL_RSP0 72

#define MAX_CPUS 512

/* Stack sizes (docs/percpu.md, "Stacks") */
#define KERNEL_STACK_SIZE 0x4000
#define IRQ_STACK_SIZE 0x4000
#define IST_STACK_SIZE 0x2000

/* IST slots in the TSS (1-based, as the gate's IST field counts them; SDM vol. 3A §6.14.5) */
#define IST_DF 1
#define IST_NMI 2
#define IST_DB 3
#define IST_MC 4
#define IST_COUNT 4

#endif
