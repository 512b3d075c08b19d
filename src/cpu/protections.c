#include "cpu/protections.h"

#include "cpu/cpu.h"

struct cpu_protections cpu_protections;

/* NX (EFER.NXE), WP, and SMEP/SMAP/UMIP where CPUID leaf 7 has them (SDM vol. 3A §2.5, §4.6). */
void protections_enable(void)
{
    struct cpu_protections p = { 0 };
    uint64_t cr4 = read_cr4() | CR4_PGE;
    if (cpuid(CPUID_EXT_LEAF, 0).eax >= CPUID_EXT_FEATURES &&
        (cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_NX)) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        p.nx = true;
    }
    if (cpuid_max_leaf() >= 7) {
        struct cpuid_regs l7 = cpuid(7, 0);
        if (l7.ebx & CPUID_7_EBX_SMEP) {
            cr4 |= CR4_SMEP;
            p.smep = true;
        }
        if (l7.ebx & CPUID_7_EBX_SMAP) {
            cr4 |= CR4_SMAP;
            p.smap = true;
        }
        if (l7.ecx & CPUID_7_ECX_UMIP) {
            cr4 |= CR4_UMIP;
            p.umip = true;
        }
    }
    write_cr4(cr4);
    write_cr0(read_cr0() | CR0_WP);
    p.wp = true;
    cpu_protections = p;
}
