/* The serial console: once the kernel is ready, CPU 0 reads commands from COM1 (received through
 * its interrupt, routed by the I/O APIC) and runs them.  `help` lists them; README.md too. */
#ifndef CADRE_SHELL_H
#define CADRE_SHELL_H

#include "lib/compiler.h"

__noreturn void shell_run(void);
/* Runs one command line, as if typed; for tests. */
void shell_execute(const char *line);

#endif
