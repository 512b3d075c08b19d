#!/bin/bash
# Boot cadre's ISO in QEMU by hand: `make run` and `make debug` call this.
#
#   tools/run.sh run ISO          serial on this terminal (Ctrl-A X quits, Ctrl-A C: monitor)
#   tools/run.sh debug ISO ELF    QEMU stopped at the first instruction, gdb attached, kmain hbreak
#
# Environment (the GNUmakefile passes them; defaults as there):
#   SMP=4 MEM=256M ACCEL=tcg|kvm MACHINE=q35 CPU= CMDLINE= GDBPORT=1234 FIRMWARE=bios|uefi
#   QEMU=qemu-system-x86_64 OVMF=/usr/share/ovmf/OVMF.fd
# FIRMWARE=uefi boots the same ISO under OVMF (-bios: read-only, variables kept in RAM, so no
# writable OVMF_VARS copy is needed); this machine's KVM cannot run OVMF (docs/boot.md).
#   DEVICES="edu virtio-rng-pci" (QEMU -device each; DEVICES= for none): the PCI devices whose
#   MSI and MSI-X the console's `pci`, `msi` and `affinity BB:DD.F CPU` show (docs/pci.md)
# CMDLINE reaches the kernel through fw_cfg (opt/cadre/cmdline), appended to GRUB's `panic=exit`,
# as in the tests (test/qemu.py).  isa-debug-exit is attached, so `test=...`, `poweroff` and a
# panic end QEMU with a status (33 tests passed, 35 a test failed, 37 panic, 39 poweroff
# without ACPI S5); this script then says what the status means and exits 0 for 0/33/39, 1
# otherwise.  Port 0xE9 (the kernel's mirror of the console) goes to debugcon.log beside the ISO.
set -euo pipefail

SMP=${SMP:-4}
MEM=${MEM:-256M}
ACCEL=${ACCEL:-tcg}
MACHINE=${MACHINE:-q35}
CPU=${CPU:-}
CMDLINE=${CMDLINE:-}
GDBPORT=${GDBPORT:-1234}
FIRMWARE=${FIRMWARE:-bios}
OVMF=${OVMF:-/usr/share/ovmf/OVMF.fd}
DEVICES=${DEVICES-edu virtio-rng-pci}
QEMU=${QEMU:-qemu-system-x86_64}
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "cadre: $*" >&2; exit 1; }
usage() { die "usage: $0 run ISO | $0 debug ISO ELF"; }

mode=${1:-}
iso=${2:-}
[ -n "$mode" ] && [ -n "$iso" ] || usage
case "$mode" in run|debug) ;; *) usage ;; esac
[ -f "$iso" ] || die "no ISO at '$iso': build it with 'make iso'"
command -v "$QEMU" >/dev/null || die "$QEMU not found: install it with 'tools/deps.sh run'"
build_dir=$(dirname "$iso")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cadre-run.XXXXXX")
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

machine_args=(-M "$MACHINE" -m "$MEM" -smp "$SMP")
case "$ACCEL" in
    tcg)
        machine_args+=(-accel tcg)
        [ -n "$CPU" ] && machine_args+=(-cpu "$CPU")
        ;;
    kvm)
        "$here/kvm-usable.sh" >&2 || die "ACCEL=kvm: KVM is not usable here (see above); use ACCEL=tcg"
        # Plain `-cpu host` aborts QEMU 7.2 on this machine's PVM KVM (it cannot set MSR 0x10a).
        machine_args+=(-accel kvm -cpu "${CPU:-host,-arch-capabilities}")
        echo "cadre: note: under this machine's KVM GRUB runs emulated: about 20 s pass before the kernel's first line (ACCEL=tcg: under a second)" >&2
        ;;
    *) machine_args+=(-accel "$ACCEL"); [ -n "$CPU" ] && machine_args+=(-cpu "$CPU") ;;
esac

firmware_args=()
case "$FIRMWARE" in
    bios) ;;
    uefi)
        [ -f "$OVMF" ] || die "FIRMWARE=uefi: no OVMF at $OVMF: install it with 'tools/deps.sh run'"
        firmware_args=(-bios "$OVMF")
        ;;
    *) die "FIRMWARE=$FIRMWARE: expected bios or uefi" ;;
esac

cmdline_args=()
kernel_cmdline=$CMDLINE
[ "$mode" = debug ] && kernel_cmdline="${kernel_cmdline:+$kernel_cmdline }panic=halt"
if [ -n "$kernel_cmdline" ]; then
    printf '%s' "$kernel_cmdline" > "$tmp/cmdline"
    cmdline_args=(-fw_cfg "name=opt/cadre/cmdline,file=$tmp/cmdline")
fi

device_args=()
for d in $DEVICES; do device_args+=(-device "$d"); done

common=("${machine_args[@]}" "${firmware_args[@]}" -display none -no-reboot "${device_args[@]}"
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
        -debugcon "file:$build_dir/debugcon.log"
        -cdrom "$iso" -boot d "${cmdline_args[@]}")

explain() {
    case "$1" in
        0)  echo "cadre: QEMU exited (status 0: quit, ACPI poweroff, or a triple fault)"; return 0 ;;
        33) echo "cadre: QEMU exited with status 33: every test passed"; return 0 ;;
        35) echo "cadre: QEMU exited with status 35: a test failed"; return 1 ;;
        37) echo "cadre: QEMU exited with status 37: kernel panic"; return 1 ;;
        39) echo "cadre: QEMU exited with status 39: powered off (isa-debug-exit)"; return 0 ;;
        *)  echo "cadre: QEMU exited with status $1"; return 1 ;;
    esac
}

if [ "$mode" = run ]; then
    echo "cadre: booting $iso (-M $MACHINE -smp $SMP -m $MEM, $ACCEL, $FIRMWARE${CMDLINE:+, cmdline \"$CMDLINE\"}); Ctrl-A X quits; port 0xE9 -> $build_dir/debugcon.log" >&2
    status=0
    "$QEMU" "${common[@]}" -serial mon:stdio || status=$?
    explain "$status" >&2
    exit $?
fi

# debug
elf=${3:-}
[ -n "$elf" ] || usage
[ -f "$elf" ] || die "no kernel ELF at '$elf': build it with 'make elf'"
command -v gdb >/dev/null || die "gdb not found: install it with 'tools/deps.sh run'"
serial_log=$build_dir/serial.log
port_hex=$(printf '%04X' "$GDBPORT")
if grep -qE "^ *[0-9]+: [0-9A-F]+:$port_hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp 2>/dev/null; then
    die "TCP port $GDBPORT is already in use: pick another with GDBPORT=N"
fi
# -no-shutdown: after a triple fault the VM stays, stopped, for gdb to look at.
"$QEMU" "${common[@]}" -no-shutdown -monitor none -serial "file:$serial_log" \
    -S -gdb "tcp:127.0.0.1:$GDBPORT" 2>"$tmp/qemu.err" &
qemu_pid=$!
echo "cadre: QEMU (pid $qemu_pid) waits for gdb on 127.0.0.1:$GDBPORT; serial -> $serial_log; port 0xE9 -> $build_dir/debugcon.log; cmdline \"$kernel_cmdline\"" >&2
# Wait until the gdb stub listens (or QEMU has died), so gdb does not race it.
for _ in $(seq 100); do
    kill -0 "$qemu_pid" 2>/dev/null || { cat "$tmp/qemu.err" >&2; die "QEMU did not start"; }
    grep -qE "^ *[0-9]+: [0-9A-F]+:$port_hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp && break
    sleep 0.05
done
gdb_args=(-q)
[ -f "$here/gdb/cadre.py" ] && gdb_args+=(-x "$here/gdb/cadre.py")
gdb_args+=(-ex 'set architecture i386:x86-64' -ex "target remote 127.0.0.1:$GDBPORT"
           -ex 'hbreak kmain' -ex 'continue')
status=0
gdb "${gdb_args[@]}" "$elf" || status=$?
echo "cadre: gdb exited; stopping QEMU" >&2
exit $status
