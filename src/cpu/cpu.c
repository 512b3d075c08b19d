#include "cpu/cpu.h"

bool rdrand64(uint64_t *out)
{
    if (!(cpuid(1, 0).ecx & CPUID_1_ECX_RDRAND))
        return false;
    for (int i = 0; i < 10; i++) {
        uint64_t v;
        uint8_t ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
        if (ok) {
            *out = v;
            return true;
        }
    }
    return false;
}
