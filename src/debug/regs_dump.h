/* The general registers of a frame, three to a line: one format for every report (panics,
 * backtrace NMIs). */
#ifndef CADRE_REGS_DUMP_H
#define CADRE_REGS_DUMP_H

#include "cpu/regs.h"

void regs_print_general(const struct regs *r);

#endif
