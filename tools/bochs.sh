#!/bin/bash
# Boot cadre's ISO in Bochs (`make bochs` calls this; docs/debugging.md, "Bochs").
#
#   tools/bochs.sh ISO                      interactive: the console (port 0xE9) and the Bochs
#                                           debugger on this terminal, COM1 to a file
#   tools/bochs.sh --headless ISO LOGDIR    for scripts and tests: no terminal, a hard time limit
#
# Environment:
#   SMP=4          CPUs: 1..15 (Bochs 2.7's limit; checked with 1, 2, 4, 8, 12 and 15)
#   CMDLINE=       kernel options.  Bochs has no fw_cfg, so they cannot be passed at run time as
#                  under QEMU: the script makes a copy of the ISO whose grub.cfg has them appended
#                  to GRUB's `panic=exit` (LOGDIR/cadre-cmdline.iso, xorriso, about 0.1 s).
#   BOCHS=bochs-bin
#   BOCHS_RC=FILE  debugger commands to run first, one a line, instead of the plain `c`
#                  (e.g. `lb 0x8001`, `c`, `r`, `sreg`; docs/debugging.md).  Headless, the
#                  debugger's output goes to e9.log, and Bochs ends when the file does unless it
#                  ends with `c` (at the prompt it reads EOF from /dev/null: "fgets() returned
#                  ERROR", and Bochs quits with status 1).
#   LOGDIR         interactive only (headless takes it as an argument): where com1.log,
#                  bochs.log etc. go; default: bochs/ beside the ISO.
# Interactive only:
#   BOCHS_STOP=1   stop at the debugger prompt before the first instruction (default: run at once;
#                  Ctrl-C stops at the prompt, `c` continues, `q` quits)
#   BOCHS_COM1=    empty: COM1 to LOGDIR/com1.log; a terminal device (/dev/pts/N, what `tty`
#                  prints in another terminal): COM1 there, both ways (Bochs' mode=term)
#   BOCHS_DISPLAY=term   the VGA text screen: term (a pseudo-terminal Bochs opens; the kernel
#                  does not use VGA, only the BIOS and GRUB do) or x (needs the bochs-x package)
# Headless only:
#   BOCHS_TIMEOUT=120  seconds; then Bochs is killed (SIGKILL: it ignores SIGTERM)
#   BOCHS_UNTIL=   an extended regular expression (grep -E); once a line of COM1 matches, Bochs is
#                  stopped and the script exits 0.  Bochs has no isa-debug-exit: without this
#                  (or the kernel's `poweroff`, which Bochs' ACPI obeys) a run lasts the time limit.
#   Headless exit status: 0 BOCHS_UNTIL matched (or Bochs exited by itself with status 0 or 1,
#   see below); 124 the time limit passed without a match; 125 usage or setup error.
#   Files in LOGDIR: com1.log (COM1), e9.log (port 0xE9 and the debugger's output), bochs.log
#   (Bochs' messages), bochs.err (its stderr), bochsrc.env (the settings used), cont.rc.
#
# Bochs starts stopped at its debugger prompt; `-rc cont.rc` (one line: `c`) continues.  It ends
# on its own only through the Bochs shutdown port, ACPI S5 (`>>PANIC<< ACPI control: soft power
# off`, status 1), or a triple fault (reset_on_triple_fault=0 makes it a PANIC, status 1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "cadre: bochs: $*" >&2; exit 125; }
usage() { die "usage: $0 ISO | $0 --headless ISO LOGDIR"; }

headless=0
if [ "${1:-}" = --headless ]; then
    headless=1
    shift
fi
iso=${1:-}
[ -n "$iso" ] || usage
if [ $headless = 1 ]; then
    logdir=${2:-}
    [ -n "$logdir" ] || usage
else
    logdir=${LOGDIR:-$(dirname "$iso")/bochs}
fi
[ -f "$iso" ] || die "no ISO at '$iso': build it with 'make iso'"

SMP=${SMP:-4}
CMDLINE=${CMDLINE:-}
BOCHS=${BOCHS:-bochs-bin}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-120}
BOCHS_UNTIL=${BOCHS_UNTIL:-}
BOCHS_DISPLAY=${BOCHS_DISPLAY:-term}
BOCHS_COM1=${BOCHS_COM1:-}
BOCHS_STOP=${BOCHS_STOP:-0}
BOCHS_RC=${BOCHS_RC:-}

command -v "$BOCHS" >/dev/null || die "$BOCHS not found: install it with 'tools/deps.sh test' (Debian: bochs bochsbios vgabios bochs-term)"
[ -f /usr/share/bochs/BIOS-bochs-latest ] || die "no Bochs BIOS at /usr/share/bochs/BIOS-bochs-latest: install bochsbios"
[ -f /usr/share/bochs/VGABIOS-lgpl-latest ] || die "no VGA BIOS at /usr/share/bochs/VGABIOS-lgpl-latest: install vgabios"
# Bochs 2.7 takes at most 8 cores per package and 15 CPUs in all (tools/bochsrc, cpu:).
case "$SMP" in
    [1-9]|1[0-5]) ;;
    *) die "SMP=$SMP: Bochs 2.7 runs 1..15 CPUs (16 stop it at start-up: \"register_timer: too many registered timers\")" ;;
esac
topology=
for cores in 8 7 6 5 4 3 2 1; do
    if [ $((SMP % cores)) = 0 ] && [ $((SMP / cores)) -le 15 ]; then
        topology=$((SMP / cores)):$cores:1
        break
    fi
done
case "$BOCHS_TIMEOUT" in ''|*[!0-9]*) die "BOCHS_TIMEOUT=$BOCHS_TIMEOUT: want whole seconds" ;; esac

mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)
iso=$(cd "$(dirname "$iso")" && pwd)/$(basename "$iso")

# The command line: a copy of the ISO with the options appended in its grub.cfg.  The El Torito
# boot image is kept as it is ("-boot_image any replay"); only the file changes.
if [ -n "$CMDLINE" ]; then
    command -v xorriso >/dev/null || die "CMDLINE needs xorriso (tools/deps.sh build)"
    case "$CMDLINE" in *[\"\'\\\;\$\`]*|*'
'*) die "CMDLINE: quotes, backslashes, ';', '\$', '\`' and newlines are not supported under Bochs" ;; esac
    xorriso -osirrox on -indev "$iso" -extract /boot/grub/grub.cfg "$logdir/grub.cfg" >/dev/null 2>&1 ||
        die "could not read /boot/grub/grub.cfg from $iso"
    chmod u+w "$logdir/grub.cfg"
    grep -q '^[[:space:]]*multiboot2 ' "$logdir/grub.cfg" || die "no multiboot2 line in the ISO's grub.cfg"
    sed_cmdline=$(printf '%s' "$CMDLINE" | sed 's/[&|]/\\&/g')
    sed -i "s|^\([[:space:]]*multiboot2 .*\)\$|\1 $sed_cmdline|" "$logdir/grub.cfg"
    rm -f "$logdir/cadre-cmdline.iso"
    xorriso -indev "$iso" -outdev "$logdir/cadre-cmdline.iso" -boot_image any replay \
        -map "$logdir/grub.cfg" /boot/grub/grub.cfg -commit >"$logdir/xorriso.log" 2>&1 ||
        { cat "$logdir/xorriso.log" >&2; die "xorriso could not make $logdir/cadre-cmdline.iso"; }
    iso=$logdir/cadre-cmdline.iso
fi

export CADRE_BX_ISO=$iso
export CADRE_BX_TOPOLOGY=$topology
export CADRE_BX_LOG=$logdir/bochs.log
export CADRE_BX_DISPLAY=$BOCHS_DISPLAY
rm -f "$logdir/com1.log" "$logdir/e9.log" "$logdir/bochs.log" "$logdir/bochs.err"

if [ $headless = 1 ]; then
    # No terminal at all: stdin /dev/null, the term GUI on a pseudo-terminal of its own.  Magic
    # breakpoints are off: at the prompt the debugger would read EOF from /dev/null and quit.
    export CADRE_BX_SERIALMODE=file CADRE_BX_SERIALDEV=$logdir/com1.log
    export CADRE_BX_MAGIC=0
    export CADRE_BX_DISPLAY=term
else
    export CADRE_BX_MAGIC=1
    if [ -n "$BOCHS_COM1" ]; then
        [ -c "$BOCHS_COM1" ] || die "BOCHS_COM1=$BOCHS_COM1 is not a terminal device (run \`tty\` in the terminal meant for COM1)"
        export CADRE_BX_SERIALMODE=term CADRE_BX_SERIALDEV=$BOCHS_COM1
    else
        export CADRE_BX_SERIALMODE=file CADRE_BX_SERIALDEV=$logdir/com1.log
    fi
    case "$BOCHS_DISPLAY" in
        term) ;;
        x) [ -e /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_x.so ] ||
               die "BOCHS_DISPLAY=x needs the bochs-x package (apt-get install bochs-x)"
           [ -n "${DISPLAY:-}" ] || die "BOCHS_DISPLAY=x needs an X display (\$DISPLAY is empty)" ;;
        *) die "BOCHS_DISPLAY=$BOCHS_DISPLAY: use term or x" ;;
    esac
fi
# The term GUI has no graphics modes, so its VGA card offers GRUB none (tools/bochsrc, vga:).
if [ "$CADRE_BX_DISPLAY" = term ]; then export CADRE_BX_VGA=none; else export CADRE_BX_VGA=vbe; fi
env | grep '^CADRE_BX_' | sort > "$logdir/bochsrc.env"

rc=$logdir/cont.rc
if [ -n "$BOCHS_RC" ]; then
    [ -f "$BOCHS_RC" ] || die "BOCHS_RC=$BOCHS_RC: no such file"
    cp "$BOCHS_RC" "$rc"
elif [ $headless = 1 ] || [ "$BOCHS_STOP" != 1 ]; then
    echo c > "$rc"
else
    : > "$rc"
fi

if [ $headless = 0 ]; then
    [ -n "$CMDLINE" ] || echo "cadre: bochs: kernel command line: GRUB's (from the ISO's grub.cfg); CMDLINE=... adds options" >&2
    echo "cadre: bochs: $SMP cpus, $iso" >&2
    echo "cadre: bochs: the console below is port 0xE9; COM1 -> ${BOCHS_COM1:-$logdir/com1.log}; Bochs' log -> $logdir/bochs.log" >&2
    echo "cadre: bochs: Ctrl-C stops at the debugger prompt <bochs:N>; c continues, q quits (docs/debugging.md)" >&2
    cd "$logdir"
    exec "$BOCHS" -q -f "$here/bochsrc" -rc "$rc"
fi

# Headless.  timeout runs Bochs in a process group of its own (GNU timeout's default), so one
# kill of that group stops both; SIGKILL because Bochs ignores SIGTERM.
tpid=
stop_bochs() {
    if [ -n "$tpid" ] && kill -0 "$tpid" 2>/dev/null; then
        kill -KILL -- "-$tpid" 2>/dev/null || kill -KILL "$tpid" 2>/dev/null || true
        wait "$tpid" 2>/dev/null || true
    fi
    tpid=
}
trap stop_bochs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
: > "$logdir/com1.log"
cd "$logdir"
timeout -s KILL "$BOCHS_TIMEOUT" stdbuf -oL -eL "$BOCHS" -q -f "$here/bochsrc" -rc "$rc" \
    </dev/null >"$logdir/e9.log" 2>"$logdir/bochs.err" &
tpid=$!
start=$SECONDS
while kill -0 "$tpid" 2>/dev/null; do
    if [ -n "$BOCHS_UNTIL" ] && tr -d '\r' < "$logdir/com1.log" | grep -aqE -- "$BOCHS_UNTIL"; then
        stop_bochs
        echo "cadre: bochs: matched /$BOCHS_UNTIL/ after $((SECONDS - start)) s; stopped" >&2
        exit 0
    fi
    sleep 0.2
done
status=0
wait "$tpid" 2>/dev/null || status=$?
tpid=
if [ -n "$BOCHS_UNTIL" ] && tr -d '\r' < "$logdir/com1.log" | grep -aqE -- "$BOCHS_UNTIL"; then
    echo "cadre: bochs: matched /$BOCHS_UNTIL/; Bochs exited (status $status) after $((SECONDS - start)) s" >&2
    exit 0
fi
if [ $status = 137 ]; then
    echo "cadre: bochs: killed after the time limit of $BOCHS_TIMEOUT s${BOCHS_UNTIL:+ without a line matching /$BOCHS_UNTIL/}" >&2
    exit 124
fi
echo "cadre: bochs: Bochs exited with status $status after $((SECONDS - start)) s (see $logdir/bochs.log)" >&2
[ -n "$BOCHS_UNTIL" ] && exit 1
[ $status -le 1 ] && exit 0
exit "$status"
