#include "cpu/percpu.h"

#include "cpu/cpu.h"

/* The BSP's area is static, so GS can point at it before any allocator exists
 * (src/boot/entry.asm sets IA32_GS_BASE to it before the first C function). */
struct percpu bsp_percpu __aligned(64) = {
    .self = &bsp_percpu,
    .cpu = 0,
    .state = CPU_STARTING,
};

struct percpu *percpu_areas[MAX_CPUS] = { &bsp_percpu };
unsigned ncpus_possible = 1;

__no_stack_protector void percpu_canary_init(void)
{
    uint64_t c;
    if (!rdrand64(&c)) {
        /* No RDRAND: mix the TSC (different on every CPU and boot) with the area's address
         * through a 64-bit finaliser, so nearby inputs do not give nearby canaries. */
        c = rdtsc() ^ (uint64_t)(uintptr_t)this_cpu();
        c ^= c >> 33;
        c *= 0xff51afd7ed558ccdULL;
        c ^= c >> 33;
        c *= 0xc4ceb9fe1a85ec53ULL;
        c ^= c >> 33;
    }
    if (!c)
        c = 0x5a5a5a5a5a5a5a5aULL;
    this_cpu_write(stack_canary, c);
}

void percpu_load(struct percpu *pc) { wrmsr(MSR_GS_BASE, (uintptr_t)pc); }
