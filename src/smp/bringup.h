/* What bring-up (src/smp/smp.c) offers CPU hotplug (src/smp/hotplug.c): the same start path as
 * at boot for one AP, the INIT that parks one, and the IPI shorthand rule decided again. */
#ifndef CADRE_BRINGUP_H
#define CADRE_BRINGUP_H

#include "lib/compiler.h"

/* Wakes AP `c` again (a CPU that went offline, or failed), with INIT-SIPI-SIPI through the
 * trampoline, as serial bring-up does at boot: the same waits and the same lines.  0 once it
 * is online; -1 with a line (it is then CPU_FAILED). */
int smp_start_cpu(unsigned c);
/* Only sends INIT-SIPI-SIPI and returns, the CPU left STARTING: for test=fault:panic_starting,
 * a panic while a CPU comes up. */
void smp_start_cpu_nowait(unsigned c);
/* CPU `c` has parked (src/smp/hotplug.c): sends it INIT, and counts one fewer online. */
void smp_park_cpu(unsigned c);
/* Allows the IPI shorthands again only while every listed CPU is online (apic/ipi.c); returns
 * whether they are allowed. */
bool smp_shorthands_update(void);

#endif
