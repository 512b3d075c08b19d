/* Offsets into struct percpu that assembly uses; src/cpu/percpu.h checks each against the C
 * struct at build time. */
#ifndef CADRE_PERCPU_DEFS_H
#define CADRE_PERCPU_DEFS_H

#define PERCPU_SELF 0
#define PERCPU_CANARY 40
#define PERCPU_CPU 48

#endif
