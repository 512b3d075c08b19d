#!/bin/sh
# Checks that every C file of the kernel and the host tests is as clang-format (.clang-format)
# writes it; `tools/check-format.sh --fix` rewrites them.  The *.defs.h headers are left out:
# tools/defs2inc.sh turns them into nasm includes and wants each #define on one line.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.c' 'src/*.h' 'test/host/*.c' 'test/host/*.h' | grep -v '\.defs\.h$')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i $files
    exit 0
fi
if ! out=$(clang-format --dry-run -Werror $files 2>&1); then
    printf '%s\n' "$out" | grep -E '^[^ ].*: error:' | sed 's/: error: .*//' | sort -u | sed 's/^/check-format: not formatted: /'
    echo "check-format: run tools/check-format.sh --fix (clang-format, .clang-format)"
    exit 1
fi
