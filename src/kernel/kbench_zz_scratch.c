#include "apic/ipi.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "kernel/bench.h"
#include "kernel/console.h"
#include "kernel/time.h"

KBENCH(scratch)
{
    for (unsigned i = 0; i < 20; i++) {
        uint64_t seen = READ_ONCE(per_cpu(1, nmi_count));
        uint64_t t0 = rdtsc();
        ipi_nmi(per_cpu(1, apic_id));
        uint64_t t1 = rdtsc();
        uint64_t d = time_deadline_us(100000);
        while (READ_ONCE(per_cpu(1, nmi_count)) == seen && !time_after(d))
            cpu_relax();
        uint64_t t2 = rdtsc();
        kprintf("scratch: nmi send %llu ack %llu", (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t0));
        udelay(3000);
    }
}
