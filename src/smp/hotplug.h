/* Taking a CPU offline and bringing it back at run time (docs/smp.md, "CPUs going offline and
 * back").  Going offline: the CPU leaves cpu_online() (no new calls, NMIs, broadcasts, routes
 * or MSI vectors aim at it), its I/O APIC routes and MSI vectors move to other online CPUs by
 * the usual no-loss moves, what its local APIC holds is taken and handled, its timer stops, and
 * it parks in its idle loop; the caller then sends it INIT, so it waits for a SIPI and nothing
 * else reaches it.  Coming back: INIT-SIPI-SIPI through the trampoline and the same cpu_init as
 * at boot, and the routes and vectors taken off it move back.  CPU 0 stays online. */
#ifndef CADRE_HOTPLUG_H
#define CADRE_HOTPLUG_H

#include "lib/compiler.h"

/* What cpu_offline and cpu_online_again return, negated; each comes with a line. */
enum hotplug_error {
    HOTPLUG_NO_SUCH_CPU = 1, /* not a CPU number this machine has */
    HOTPLUG_BOOT_CPU,        /* CPU 0, which stays online */
    HOTPLUG_WRONG_STATE,     /* already offline / online, failed, starting, going offline */
    HOTPLUG_SELF,            /* the caller's own CPU */
    HOTPLUG_BUSY,            /* another CPU's offline or online is under way */
    HOTPLUG_STUCK,           /* something would not move, or the CPU did not park in time */
    HOTPLUG_NO_ANSWER,       /* the CPU did not come back (the smp: line says how far it got) */
};

/* Flags */
#define HOTPLUG_QUIET 0x1 /* no line on success (the tests' 200 cycles); problems still print */

/* Takes CPU n offline; 0 or -enum hotplug_error.  From any other CPU, in task context. */
int cpu_offline(unsigned n, unsigned flags);
/* Brings CPU n (offline, or failed) back online; 0 or -enum hotplug_error. */
int cpu_online_again(unsigned n, unsigned flags);

/* The last transitions' durations, for bench=hotplug: offline and online, in microseconds. */
struct hotplug_times {
    uint64_t offline_us, online_us;
};
struct hotplug_times hotplug_last_times(void);

/* The idle loop's part (src/smp/cpu_init.c): whether a request waits for this CPU, and serving
 * it (taking what its local APIC holds, or parking for good). */
bool hotplug_request_pending(void);
void hotplug_idle_serve(void);

#endif
