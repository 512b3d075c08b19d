#!/bin/sh
# Turn a ".defs.h" header (only "#define NAME value" lines with plain values) into a nasm
# include, so that C and assembly share one definition of each constant.
# Usage: tools/defs2inc.sh src/cpu/x86.defs.h > build/inc/cpu/x86.inc
set -eu
echo "; generated from $1 by tools/defs2inc.sh; edit the header, not this file"
sed -n -e 's|/\*.*\*/||' \
       -e 's|^#define[[:space:]]\{1,\}\([A-Za-z_][A-Za-z_0-9]*\)[[:space:]]\{1,\}\(.*[^[:space:]]\)[[:space:]]*$|%define \1 \2|p' "$1" |
    grep -v '_DEFS_H'
