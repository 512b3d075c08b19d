/* The kernel's own symbol table (tools/gen-ksyms.sh), for naming code addresses. */
#ifndef CADRE_KSYMS_H
#define CADRE_KSYMS_H

#include "lib/compiler.h"

/* The name of the function holding addr and addr's offset into it, or NULL. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
/* Formats "name+0xoff" (or "?") into buf. */
void ksym_format(uintptr_t addr, char *buf, size_t size);

#endif
