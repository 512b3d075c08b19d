/* QEMU's firmware configuration device (docs/specs/fw_cfg.txt in QEMU): lets a test hand the
 * kernel a file (-fw_cfg name=opt/cadre/cmdline,file=...) without rebuilding the ISO. */
#ifndef CADRE_FWCFG_H
#define CADRE_FWCFG_H

#include "lib/compiler.h"

bool fwcfg_present(void);
/* Reads the named file into buf (at most size-1 bytes, NUL-terminated).  Returns its length,
 * or -1 where there is no fw_cfg or no such file. */
long fwcfg_read_file(const char *name, char *buf, size_t size);

#endif
