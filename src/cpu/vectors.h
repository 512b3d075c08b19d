/* The vector plan (docs/interrupts.md).  The local APIC serves the highest priority class
 * (vector >> 4) first, and the TPR blocks every class at or below its own (SDM vol. 3A
 * §11.8.3), so the class a source gets is its priority:
 *
 *   class  vectors     what
 *   0-1    0x00-0x1f   exceptions (the CPU's own)
 *   2      0x20-0x2f   legacy 8259 (masked; only its spurious IRQ 7/15 can arrive)
 *   3-5    0x30-0x5f   device IRQs, low priority (keyboard, RTC)
 *   6-9    0x60-0x9f   device IRQs, normal priority (serial)
 *   10-13  0xa0-0xdf   device IRQs, urgent (the PIT)
 *   14     0xe0-0xef   local APIC timer, test IPIs
 *   15     0xf0-0xff   IPIs (function call, MSI cleanup, wake), APIC error, spurious
 *
 * Classes 3-13 are the device vectors.  The I/O APIC routes take theirs from the bottom of a
 * class, as system vectors (the same number on every CPU); MSI and MSI-X vectors come from
 * the top, per CPU (src/irq/vector.c).
 */
#ifndef CADRE_VECTORS_H
#define CADRE_VECTORS_H

#define VEC_CLASS(v) ((v) >> 4)

#define VEC_DEVICE_LOW_FIRST 0x30
#define VEC_DEVICE_NORMAL_FIRST 0x60
#define VEC_DEVICE_URGENT_FIRST 0xa0
#define VEC_DEVICE_LAST 0xdf
/* int 0x80 (VEC_SYSCALL_GATE in cpu/x86.defs.h) sits in class 8: the device allocator skips it. */

#define VEC_LAPIC_TIMER 0xe0
#define VEC_IPI_STORM 0xe1     /* class 14: the all-to-all IPI storm test's doorbell */
#define VEC_IPI_TEST_SAME 0xe2 /* class 14: must wait for a running VEC_IPI_TEST handler */
#define VEC_IPI_TEST 0xe8      /* class 14: a test IPI that class-15 IPIs may preempt */
#define VEC_BENCH_PING 0xe9    /* class 14: benchmarks (src/ktest/kbench_ipi.c): CPU 0 -> target */
#define VEC_BENCH_PONG 0xea    /*   target -> CPU 0 */
#define VEC_BENCH_SELF 0xeb    /*   CPU 0 -> CPU 0 */
#define VEC_IPI_TEST_HIGH 0xf1 /* class 15: preempts a VEC_IPI_TEST handler that enabled IF */
#define VEC_IPI_CALL 0xf8      /* run a function on another CPU */
#define VEC_MSI_CLEANUP 0xf9   /* frees a moved MSI's old vector (src/irq/msi.c) */
#define VEC_IPI_WAKE 0xfa      /* "I am online": wakes the BSP from hlt during bring-up */
#define VEC_APIC_ERROR 0xfe
/* The spurious vector's low four bits must be 1s: P6 and Pentium local APICs hard-wire them
 * (SDM vol. 3A §11.9). */
#define VEC_SPURIOUS 0xff
_Static_assert((VEC_SPURIOUS & 0x0f) == 0x0f, "spurious vector must end in 0xf");

#endif
