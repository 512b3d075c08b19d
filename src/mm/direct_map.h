/* The direct map: all physical memory mapped at DIRECT_MAP_BASE + phys (docs/memory.md). */
#ifndef CADRE_DIRECT_MAP_H
#define CADRE_DIRECT_MAP_H

#include "cpu/layout.defs.h"
#include "lib/compiler.h"

static inline void *phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(phys + DIRECT_MAP_BASE);
}

#endif
