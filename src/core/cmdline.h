/* The kernel command line: GRUB's, then QEMU's fw_cfg file opt/cadre/cmdline appended
 * (README.md, "Kernel command line").  Options are "key=value" or bare words, separated by
 * spaces; a value may be double-quoted.  Each option is declared beside the code it steers with
 * KERNEL_PARAM and parsed here, in one place.  An unknown or malformed option prints a warning
 * and is otherwise ignored. */
#ifndef CADRE_CMDLINE_H
#define CADRE_CMDLINE_H

#include "lib/compiler.h"

#define CMDLINE_MAX 1024

struct kernel_param {
    const char *name;
    /* value is NULL for a bare word; returns NULL, or why the value is not accepted */
    const char *(*set)(const char *value);
    const char *help;
};

#define KERNEL_PARAM(name, fn, help)                                         \
    static const struct kernel_param kparam_##fn __used __section(".kparam") \
        __aligned(8) = { name, fn, help }

/* Parses and applies every option; returns how many were rejected. */
unsigned cmdline_apply(const char *cmdline);

#endif
