#!/bin/sh
# The symbol table is made from a first link and linked into a second.  It sits last in the
# image (src/kernel.ld), so no other symbol may move between the two; check that it did not.
# Usage: tools/check-ksyms.sh pass1.elf final.elf
set -eu
a=$(mktemp); b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
nm -n "$1" | grep -v -e ' ksyms' -e ' _kernel_end$' > "$a"
nm -n "$2" | grep -v -e ' ksyms' -e ' _kernel_end$' > "$b"
if ! cmp -s "$a" "$b"; then
    echo "cadre: symbols moved between the two links; the backtrace table would lie:" >&2
    diff "$a" "$b" | head -20 >&2
    exit 1
fi
