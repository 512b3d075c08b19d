#!/bin/sh
# Install the Debian packages a make target needs, where they are missing.
# Usage: tools/deps.sh build|run|test|bench|dev
# As root it runs apt-get; otherwise it uses sudo if that needs no password; otherwise it
# prints the one command to run and fails.
set -eu

build="make gcc nasm binutils grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools"
case "${1:-build}" in
    build) want="$build" ;;
    run)   want="$build qemu-system-x86 ovmf gdb" ;;
    test)  want="$build qemu-system-x86 ovmf gdb clang lld llvm libclang-rt-14-dev clang-format python3 python3-pytest python3-pytest-xdist python3-pytest-timeout bochs bochsbios vgabios bochs-term" ;;
    bench) want="$build qemu-system-x86 ovmf python3 python3-matplotlib" ;;
    dev)   want="$build bear clang-format clang-tidy" ;;
    *) echo "usage: $0 build|run|test|bench|dev" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "cadre: missing Debian packages:$missing" >&2
    echo "cadre: run: sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
echo "cadre: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are empty or a package is not found in them.
if ! $sudo apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
    $sudo apt-get update -qq
    $sudo apt-get install -y --no-install-recommends $missing
fi
