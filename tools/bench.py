#!/usr/bin/python3
"""cadre's benchmarks (docs/performance.md): boot the ISO in QEMU over a matrix of -smp counts,
collect the figures the kernel prints, write them as CSV, print a table and draw PNG plots.

    make bench                       # the full matrix (TCG, plus KVM where it is usable)
    make bench BENCH_ARGS=--quick    # a small matrix, for a smoke run
    tools/bench.py --no-kvm --out build/bench

What is measured:
  bringup      `smp: N of M cpus online in T us (MODE, ...)` from a normal boot (`poweroff`),
               for each -smp count in smp.bringup=parallel and =serial, median of --reps boots
  stages       the same boots' `cadre: boot stages in us since entry: ...` line (entry -> first
               line -> clocks known -> APs started -> APs online -> ready), and the wall time
               from QEMU's start until the harness saw `cadre: ready` (firmware and GRUB in it);
               these boots send COM1 to a file (qemu.boot(serial="file")), not the harness's
               socket, whose per-byte cost would otherwise be most of what is measured
  ipi_latency  bench=ipi_latency: IPI round trips from CPU 0 to every other CPU
  nmi_fanout   bench=nmi_fanout: one NMI to all-but-self until every CPU has taken it
  irq_entry    bench=irq_entry: a self-IPI loop, and the same sends without the interrupt
  msi_latency  bench=msi_latency: edu's MSI from the raise write to its handler, per target CPU
  watchdog     bench=watchdog: the lockup watchdog's tick-hook cost, and a hard lockup's start
               to its report (with watchdog.hard_ms=2000 watchdog.period_ms=250)
  hotplug      bench=hotplug: one CPU offline and back, the time of each transition (-smp 2 and up)
(the kernel side is src/ktest/kbench_ipi.c, kbench_msi.c, kbench_watchdog.c and
kbench_hotplug.c; the benchmark boots attach QEMU's edu device).  Figures are printed, never judged: this script
fails only when it could not boot at all.

Boots run one after the other: the figures are timings, and this machine has two cores.  Under
TCG the guest's TSC is the host's, so every figure is an emulator figure; the `accel` column
says which accelerator each came from.  Standard library plus matplotlib (Agg backend).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "test"))
import qemu  # noqa: E402  (test/qemu.py, the boot harness)

KERNEL_BENCHES = ("ipi_latency", "nmi_fanout", "irq_entry", "msi_latency", "watchdog", "hotplug")
# bench=watchdog measures a report's latency: short thresholds keep the boot short.
WATCHDOG_BENCH_OPTS = "watchdog.hard_ms=2000 watchdog.period_ms=250"
# msi_latency needs QEMU's edu device (src/dev/edu.c).
BENCH_DEVICES = ["-device", "edu"]
MODES = ("parallel", "serial")
MACHINE = "q35"
MEM = "256M"  # 255 CPUs' areas and stacks fit easily

# The matrices.  KVM boots take 40-60 s each on this machine (GRUB runs slowly under its
# paravirtual KVM), so its matrix is a handful of boots, each of which runs every kernel
# benchmark and also gives one bring-up figure.
FULL = {
    "bringup_smp": (1, 2, 4, 8, 16, 32, 64, 128, 255),
    "reps": 3,
    "kernel_smp": (2, 4, 8, 16, 32, 64),
    "kvm_boots": ((2, "parallel"), (8, "parallel"), (8, "serial"), (32, "parallel"), (32, "serial")),
}
QUICK = {
    "bringup_smp": (1, 2, 4, 8),
    "reps": 1,
    "kernel_smp": (2, 4),
    "kvm_boots": ((2, "parallel"),),
}
# A KVM boot: 40-60 s of GRUB and firmware here, plus the benchmarks' budgets (3 s + 10 s +
# 2 s per target in src/ktest/kbench_ipi.c).
KVM_TIMEOUT = 300.0
# The ipi_latency plot shows one panel per (accel, smp) for these counts.
LATENCY_PLOT_SMP = (8, 16)

STAGES_RE = re.compile(r"^cadre: boot stages in us since entry: first_line=(\d+) clocks=(\d+) smp_start=(\d+) "
                       r"aps_online=(\d+) ready=(\d+)$")
STAGES = ("first_line", "clocks", "smp_start", "aps_online", "ready")
# The stacked plot's segments: (name, from stage, to stage)
SEGMENTS = (("entry -> first line", None, "first_line"), ("first line -> clocks known", "first_line", "clocks"),
            ("clocks -> APs started (per-CPU areas)", "clocks", "smp_start"),
            ("APs started -> online", "smp_start", "aps_online"), ("APs online -> ready", "aps_online", "ready"))
SMP_RE = re.compile(r"^smp: (\d+) of (\d+) cpus online(?: in (\d+) us \((parallel|serial), (\w+) delays\))?")
BENCH_RE = re.compile(r"^bench: (\w+) (\w+=\S+(?: \w+=\S+)*)\s*$")
CONTEXT_RE = re.compile(r"^bench: (\w+): .*; (xAPIC|x2APIC), tsc ([\d.]+) MHz, hypervisor (\S+)$")
WARNING_RE = re.compile(r"^bench: .*warning")

CSV_COLUMNS = {
    "bringup": ["accel", "machine", "mode", "smp", "online", "boots", "median_us", "per_ap_us",
                "min_us", "max_us", "samples_us"],
    "stages": ["accel", "machine", "mode", "smp", "boot", "source", "first_line_us", "clocks_us", "smp_start_us",
               "aps_online_us", "ready_us", "wall_ready_s"],
    "ipi_latency": ["accel", "apic_mode", "smp", "bringup", "cpu", "apic", "rounds", "median_cycles", "p99_cycles",
                    "median_ns", "p99_ns"],
    "nmi_fanout": ["accel", "apic_mode", "smp", "bringup", "cpus", "rounds", "median_cycles", "p99_cycles",
                   "median_ns", "p99_ns"],
    "irq_entry": ["accel", "apic_mode", "smp", "bringup", "rounds", "cycles_per_irq", "send_only_cycles", "ns_per_irq",
                  "net_cycles", "net_ns"],
    "msi_latency": ["accel", "apic_mode", "smp", "bringup", "cpu", "apic", "vector", "rounds", "median_cycles",
                    "p99_cycles", "median_ns", "p99_ns"],
    "watchdog": ["accel", "apic_mode", "smp", "bringup", "what", "cpus", "ticks", "mean_cycles", "mean_ns", "round",
                 "hard_ms", "period_ms", "latency_ms", "over_threshold_ms"],
    "hotplug": ["accel", "apic_mode", "smp", "bringup", "cpus", "cpu", "rounds", "offline_us_median",
                "offline_us_p99", "online_us_median", "online_us_p99"],
}


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Booting and parsing


class Runner:
    def __init__(self, total: int, isos: dict[str, str], firmware: str = "bios"):
        self.total, self.done = total, 0
        self.firmware = firmware  # every boot's: bios (SeaBIOS) or uefi (OVMF)
        self.isos = isos  # accel -> ISO
        self.failures: list[str] = []

    def boot(self, what: str, **kwargs) -> qemu.Boot | None:
        self.done += 1
        prefix = f"[{self.done}/{self.total}] {what}"
        if kwargs.get("accel") == "kvm":
            kwargs.setdefault("timeout", KVM_TIMEOUT)
        os.environ["CADRE_ISO"] = self.isos[kwargs.get("accel", "tcg")]  # qemu.boot reads it
        try:
            b = qemu.boot(machine=MACHINE, mem=MEM, name="bench", firmware=self.firmware, **kwargs)
        except (OSError, RuntimeError) as e:
            log(f"{prefix}: could not boot: {e}")
            self.failures.append(f"{what}: {e}")
            return None
        if b.timed_out or b.errors or b.panic_report() is not None:
            why = "timed out" if b.timed_out else "panic" if b.panic_report() else "; ".join(b.errors)
            log(f"{prefix}: {why} after {b.elapsed:.1f} s (log {b.log_path})")
            self.failures.append(f"{what}: {why} (log {b.log_path})")
        b.what = prefix  # type: ignore[attr-defined]
        return b


def parse_bringup(b: qemu.Boot) -> tuple[int, int, int | None] | None:
    """(online, listed, T in us or None for a lone BSP) from the smp: line."""
    m = b.find(SMP_RE)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None


def line_us(b: qemu.Boot, pattern: str) -> int | None:
    rx = re.compile(pattern)
    for secs, _, text in b.kernel_lines():
        if rx.search(text):
            return round(secs * 1e6)
    return None


def parse_stages(b: qemu.Boot, bringup: tuple[int, int, int | None] | None) -> tuple[dict[str, int | None], str]:
    """{stage: us} from the stages line, or, for a kernel that has none (an older ISO), from the
    timestamps of the lines that mark them; the second value says which."""
    m = b.find(STAGES_RE)
    if m:
        return dict(zip(STAGES, (int(x) for x in m.groups()))), "stages line"
    aps_online = line_us(b, SMP_RE.pattern)
    t = bringup[2] if bringup else None
    return {"first_line": line_us(b, r"^cadre: booting"), "clocks": line_us(b, r"^apic: timer"),
            "smp_start": aps_online - t if aps_online is not None and t is not None else aps_online,
            "aps_online": aps_online, "ready": line_us(b, r"^cadre: ready")}, "line timestamps"


def wall_ready(b: qemu.Boot) -> float | None:
    return next((round(t, 3) for t, text in b.seen_at if text.startswith("cadre: ready")), None)


def parse_bench(b: qemu.Boot) -> tuple[dict[str, list[dict[str, str]]], dict[str, str]]:
    """{bench: [ {key: value} per figure line ]} and {bench: apic mode} from the context lines."""
    figures: dict[str, list[dict[str, str]]] = {}
    modes: dict[str, str] = {}
    for text in b.texts():
        m = CONTEXT_RE.match(text)
        if m:
            modes[m.group(1)] = m.group(2)
            continue
        m = BENCH_RE.match(text)
        if m and m.group(1) in KERNEL_BENCHES:
            figures.setdefault(m.group(1), []).append(dict(kv.split("=", 1) for kv in m.group(2).split()))
    return figures, modes


# ---------------------------------------------------------------------------------------------
# The runs


def run_bringup(r: Runner, accel: str, counts, reps: int, rows: list[dict], stage_rows: list[dict]) -> None:
    for mode in MODES:
        for n in counts:
            samples, online = [], None
            for rep in range(reps):
                b = r.boot(f"{accel} -smp {n} {mode} bring-up, boot {rep + 1} of {reps}",
                           cmdline=f"poweroff smp.bringup={mode}", smp=n, accel=accel, serial="file")
                got = parse_bringup(b) if b else None
                if b:
                    st, how = parse_stages(b, got)
                    stage_rows.append({"accel": accel, "machine": MACHINE, "mode": mode, "smp": n, "boot": rep + 1,
                                       "source": how, **{f"{k}_us": fmt(v) for k, v in st.items()},
                                       "wall_ready_s": "" if wall_ready(b) is None else f"{wall_ready(b):.2f}"})
                if not got:
                    if b:
                        log(f"{b.what}: no 'smp: ... online' line (log {b.log_path})")
                        r.failures.append(f"{b.what}: no smp line")
                    continue
                online = got[0]
                if got[2] is not None:
                    samples.append(got[2])
                log(f"{b.what}: {got[0]} of {got[1]} online"
                    + (f" in {got[2]} us" if got[2] is not None else " (no APs)") + f"  [{b.elapsed:.1f} s]")
            if online is not None:
                rows.append(bringup_row(accel, mode, n, online, samples))


def bringup_row(accel: str, mode: str, n: int, online: int, samples: list[int]) -> dict:
    med = statistics.median(samples) if samples else None
    return {
        "accel": accel, "machine": MACHINE, "mode": mode, "smp": n, "online": online,
        "boots": len(samples) if samples else 1,
        "median_us": fmt(med), "per_ap_us": fmt(med / (online - 1)) if med is not None and online > 1 else "",
        "min_us": min(samples) if samples else "", "max_us": max(samples) if samples else "",
        "samples_us": ";".join(str(s) for s in samples),
    }


def run_kernel(r: Runner, accel: str, n: int, mode: str, data: dict[str, list[dict]],
               bringup_rows: list[dict] | None) -> None:
    cmdline = f"bench={','.join(KERNEL_BENCHES)} smp.bringup={mode} {WATCHDOG_BENCH_OPTS}"
    b = r.boot(f"{accel} -smp {n} {cmdline}", cmdline=cmdline, smp=n, accel=accel, extra_args=BENCH_DEVICES)
    if not b:
        return
    figures, modes = parse_bench(b)
    for name in KERNEL_BENCHES:
        for fig in figures.get(name, []):
            data[name].append({"accel": accel, "apic_mode": modes.get(name, ""), "smp": n, "bringup": mode, **fig})
    for w in (t for t in b.texts() if WARNING_RE.match(t)):
        log(f"{b.what}: kernel: {w}")
    # bench=hotplug needs a second CPU to take offline: at -smp 1 it says so and has no figures.
    missing = [name for name in KERNEL_BENCHES if name not in figures and not (name == "hotplug" and n < 2)]
    if missing:
        log(f"{b.what}: no figures from {', '.join(missing)} (log {b.log_path})")
        r.failures.append(f"{b.what}: no figures from {', '.join(missing)}")
    got = parse_bringup(b)
    if bringup_rows is not None and got and got[2] is not None:
        bringup_rows.append(bringup_row(accel, mode, n, got[0], [got[2]]))
    nfig = sum(len(figures.get(name, [])) for name in KERNEL_BENCHES)
    log(f"{b.what}: {nfig} figure lines  [{b.elapsed:.1f} s]")


# ---------------------------------------------------------------------------------------------
# Output: CSV, table, plots


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.1f}" if v < 1000 else f"{v:.0f}"
    return str(v)


def write_csv(path: str, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow(row)


def table(columns: list[str], rows: list[dict], markdown: bool = False) -> str:
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    if markdown:
        out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in cells]
        return "\n".join(out)
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.rjust(w) for v, w in zip(vals, widths))  # noqa: E731
    return "\n".join([line(columns)] + [line(r) for r in cells])


def per_target_rows(records: list[dict]) -> list[dict]:
    """One row per (accel, APIC mode, -smp, bring-up) of a per-target benchmark: how many target
    CPUs, and the spread of their median and p99 figures."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["accel"], r["apic_mode"], int(r["smp"]), r["bringup"]), []).append(r)
    rows = []
    for (accel, mode, n, bringup), rs in sorted(groups.items()):
        med = [int(r["median_ns"]) for r in rs]
        p99 = [int(r["p99_ns"]) for r in rs]
        rows.append({"accel": accel, "apic_mode": mode, "smp": n, "bringup": bringup, "targets": len(rs),
                     "median_ns (min/med/max over targets)": f"{min(med)} / {int(statistics.median(med))} / {max(med)}",
                     "p99_ns (min/med/max)": f"{min(p99)} / {int(statistics.median(p99))} / {max(p99)}"})
    return rows


def summary_tables(data: dict[str, list[dict]], markdown: bool = False) -> list[tuple[str, str]]:
    """(title, table) pairs: everything, with ipi_latency folded to one row per boot."""
    out = []
    if data["bringup"]:
        cols = ["accel", "mode", "smp", "online", "boots", "median_us", "per_ap_us", "min_us", "max_us"]
        rows = sorted(data["bringup"], key=lambda r: (r["accel"], r["mode"], int(r["smp"])))
        out.append(("bring-up time (smp: N of M cpus online in T us), median of the boots", table(cols, rows, markdown)))
    if data["stages"]:
        rows = stage_medians(data["stages"])
        cols = ["accel", "mode", "smp", "boots"] + [f"{k}_us" for k in STAGES] + ["wall_ready_s"]
        out.append(("boot stages, us since entry (median of the boots; wall: QEMU's start to `ready`, s)",
                    table(cols, rows, markdown)))
    for name, title in (("ipi_latency", "IPI round trip cpu0 -> cpuK -> cpu0"),
                        ("msi_latency", "MSI latency: edu raise write on cpu0 -> handler on cpuK")):
        if data.get(name):
            rows = per_target_rows(data[name])
            out.append((f"{title} (per-target figures in {name}.csv)", table(list(rows[0].keys()), rows, markdown)))
    if data.get("hotplug"):
        cols = ["accel", "apic_mode", "smp", "bringup", "cpu", "rounds", "offline_us_median", "offline_us_p99",
                "online_us_median", "online_us_p99"]
        rows = sorted(data["hotplug"], key=lambda r: (r["accel"], int(r["smp"]), r["bringup"]))
        out.append(("CPU hotplug: the last CPU offline and back (bench=hotplug), microseconds", table(cols, rows, markdown)))
    if data["nmi_fanout"]:
        cols = ["accel", "apic_mode", "cpus", "bringup", "rounds", "median_cycles", "p99_cycles", "median_ns", "p99_ns"]
        rows = sorted(data["nmi_fanout"], key=lambda r: (r["accel"], int(r["cpus"]), r["bringup"]))
        out.append(("NMI fan-out: all-but-self NMI until every CPU took it", table(cols, rows, markdown)))
    if data["irq_entry"]:
        cols = ["accel", "apic_mode", "smp", "bringup", "rounds", "cycles_per_irq", "send_only_cycles", "net_cycles",
                "ns_per_irq", "net_ns"]
        rows = sorted(data["irq_entry"], key=lambda r: (r["accel"], int(r["smp"]), r["bringup"]))
        out.append(("interrupt entry/exit: self-IPI loop (net = per irq - send only)", table(cols, rows, markdown)))
    if data["watchdog"]:
        cost = [r for r in data["watchdog"] if r.get("what") == "tick_cost"]
        lat = [r for r in data["watchdog"] if r.get("what") == "report_latency"]
        if cost:
            cols = ["accel", "apic_mode", "smp", "bringup", "cpus", "ticks", "mean_cycles", "mean_ns"]
            out.append(("lockup watchdog: its tick hook's cost per tick",
                        table(cols, sorted(cost, key=lambda r: (r["accel"], int(r["smp"]))), markdown)))
        if lat:
            cols = ["accel", "smp", "bringup", "round", "hard_ms", "period_ms", "latency_ms", "over_threshold_ms"]
            out.append(("lockup watchdog: a hard lockup's start to its report",
                        table(cols, sorted(lat, key=lambda r: (r["accel"], int(r["smp"]))), markdown)))
    return out


def stage_medians(rows: list[dict]) -> list[dict]:
    """One row per (accel, mode, smp): the median of each stage over the boots."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["accel"], r["mode"], int(r["smp"])), []).append(r)
    out = []
    for (accel, mode, n), rs in sorted(groups.items()):
        row = {"accel": accel, "mode": mode, "smp": n, "boots": len(rs)}
        for col in [f"{k}_us" for k in STAGES] + ["wall_ready_s"]:
            vals = [float(r[col]) for r in rs if r.get(col) not in ("", None)]
            row[col] = "" if not vals else (f"{statistics.median(vals):.2f}" if col == "wall_ready_s"
                                            else fmt(round(statistics.median(vals))))
        out.append(row)
    return out


def plot_all(data: dict[str, list[dict]], out: str) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as e:
        log(f"bench: no plots: matplotlib is missing ({e}); `make deps-bench` installs python3-matplotlib")
        return []
    written = []
    # The kernel benchmarks' plots use the boots in the default mode; a KVM count booted in
    # both modes would otherwise show twice (the CSVs and tables have both).
    kernel = {name: [r for r in data[name] if r["bringup"] == "parallel"] for name in KERNEL_BENCHES}

    def log2_axis(ax, values):
        ax.set_xscale("log", base=2)
        ticks = sorted(set(values))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks])
        ax.minorticks_off()

    def save(fig, name):
        path = os.path.join(out, name)
        fig.tight_layout()
        fig.savefig(path, dpi=80)
        plt.close(fig)
        written.append(path)

    styles = {("tcg", "parallel"): "o-", ("tcg", "serial"): "s-", ("kvm", "parallel"): "o--", ("kvm", "serial"): "s--"}
    rows = [r for r in data["bringup"] if r["median_us"] != ""]
    if rows:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for key in sorted({(r["accel"], r["mode"]) for r in rows}):
            rs = sorted((r for r in rows if (r["accel"], r["mode"]) == key), key=lambda r: int(r["smp"]))
            label = f"{key[0].upper()} {key[1]}"
            med = [float(r["median_us"]) / 1000 for r in rs]
            lo = [m - float(r["min_us"]) / 1000 for m, r in zip(med, rs)]
            hi = [float(r["max_us"]) / 1000 - m for m, r in zip(med, rs)]
            ax1.errorbar([int(r["online"]) for r in rs], med, yerr=[lo, hi], fmt=styles.get(key, "x-"),
                         capsize=3, label=label)
            rs = [r for r in rs if r["per_ap_us"] != ""]
            ax2.plot([int(r["online"]) for r in rs], [float(r["per_ap_us"]) for r in rs],
                     styles.get(key, "x-"), label=label)
        for ax, ylabel, title in ((ax1, "bring-up time (ms)", "time to bring every AP online (median, min-max)"),
                                  (ax2, "per AP (us)", "bring-up time / (N - 1)")):
            ax.set_yscale("log")
            log2_axis(ax, [int(r["online"]) for r in rows])
            ax.set_xlabel("CPUs online")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        save(fig, "bringup.png")

    med = [r for r in stage_medians(data["stages"]) if all(r[f"{k}_us"] != "" for k in STAGES)]
    if med:
        modes = sorted({r["mode"] for r in med})
        fig, axes = plt.subplots(1, len(modes), figsize=(6 * len(modes), 4.5), squeeze=False)
        for ax, mode in zip(axes[0], modes):
            rs = sorted((r for r in med if r["mode"] == mode), key=lambda r: r["smp"])
            x = list(range(len(rs)))
            bottom = [0.0] * len(rs)
            for name, a, b_ in SEGMENTS:
                h = [(float(r[f"{b_}_us"]) - (float(r[f"{a}_us"]) if a else 0.0)) / 1000 for r in rs]
                ax.bar(x, h, bottom=bottom, label=name)
                bottom = [p + q for p, q in zip(bottom, h)]
            for xi, r in zip(x, rs):
                if r["wall_ready_s"] != "":
                    ax.annotate(f"wall {float(r['wall_ready_s']):.1f} s", (xi, bottom[xi]), ha="center",
                                va="bottom", fontsize=7)
            ax.set_xticks(x)
            ax.set_xticklabels([str(r["smp"]) for r in rs])
            ax.set_xlabel("-smp")
            ax.set_ylabel("ms since the kernel's entry")
            ax.set_title(f"where boot time goes, TCG, {mode} bring-up (median)")
            ax.grid(True, axis="y", alpha=0.3)
            ax.legend(fontsize=7, loc="upper left")
        save(fig, "stages.png")

    # One panel per (accel, smp) for LATENCY_PLOT_SMP; an accelerator with none of those gets
    # its largest -smp (the quick matrix, the KVM boots).
    panels = []
    for accel in sorted({r["accel"] for r in kernel["ipi_latency"]}):
        counts = sorted({int(r["smp"]) for r in kernel["ipi_latency"] if r["accel"] == accel})
        chosen = [n for n in counts if n in LATENCY_PLOT_SMP] or counts[-1:]
        panels += [(accel, n) for n in chosen]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
        for ax, (accel, n) in zip(axes[0], panels):
            rs = sorted((r for r in kernel["ipi_latency"] if (r["accel"], int(r["smp"])) == (accel, n)),
                        key=lambda r: int(r["cpu"]))
            cpus = [int(r["cpu"]) for r in rs]
            ax.plot(cpus, [int(r["median_ns"]) / 1000 for r in rs], "o-", label="median")
            ax.plot(cpus, [int(r["p99_ns"]) / 1000 for r in rs], "v:", label="p99")
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_xlabel("target CPU")
            ax.set_ylabel("round trip (us)")
            ax.set_title(f"IPI round trip cpu0 -> cpuK -> cpu0, {accel.upper()} -smp {n}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        save(fig, "ipi_latency.png")

    if kernel["nmi_fanout"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for accel in sorted({r["accel"] for r in kernel["nmi_fanout"]}):
            rs = sorted((r for r in kernel["nmi_fanout"] if r["accel"] == accel), key=lambda r: int(r["cpus"]))
            ax.plot([int(r["cpus"]) for r in rs], [int(r["median_ns"]) / 1000 for r in rs], "o-",
                    label=f"{accel.upper()} median")
            ax.plot([int(r["cpus"]) for r in rs], [int(r["p99_ns"]) / 1000 for r in rs], "v:",
                    label=f"{accel.upper()} p99")
        log2_axis(ax, [int(r["cpus"]) for r in kernel["nmi_fanout"]])
        ax.set_yscale("log")
        ax.set_xlabel("CPUs online")
        ax.set_ylabel("until every CPU took the NMI (us)")
        ax.set_title("NMI fan-out (all-but-self)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        save(fig, "nmi_fanout.png")

    if kernel["irq_entry"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for accel in sorted({r["accel"] for r in kernel["irq_entry"]}):
            rs = sorted((r for r in kernel["irq_entry"] if r["accel"] == accel), key=lambda r: int(r["smp"]))
            ax.plot([int(r["smp"]) for r in rs], [int(r["ns_per_irq"]) for r in rs], "o-",
                    label=f"{accel.upper()} send + interrupt")
            ax.plot([int(r["smp"]) for r in rs], [int(r["net_ns"]) for r in rs], "s--",
                    label=f"{accel.upper()} interrupt alone (net)")
        log2_axis(ax, [int(r["smp"]) for r in kernel["irq_entry"]])
        ax.set_yscale("log")
        ax.set_xlabel("-smp of the boot (the loop runs on cpu0 alone)")
        ax.set_ylabel("ns per self-IPI")
        ax.set_title("interrupt entry/exit (self-IPI loop)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        save(fig, "irq_entry.png")

    # MSI latency per target CPU: one panel per accelerator, its largest -smp.
    msi = kernel.get("msi_latency", [])
    panels = [(accel, max(int(r["smp"]) for r in msi if r["accel"] == accel))
              for accel in sorted({r["accel"] for r in msi})]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
        for ax, (accel, n) in zip(axes[0], panels):
            rs = sorted((r for r in msi if (r["accel"], int(r["smp"])) == (accel, n)), key=lambda r: int(r["cpu"]))
            cpus = [int(r["cpu"]) for r in rs]
            ax.plot(cpus, [int(r["median_ns"]) / 1000 for r in rs], "o-", label="median")
            ax.plot(cpus, [int(r["p99_ns"]) / 1000 for r in rs], "v:", label="p99")
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_xlabel("target CPU")
            ax.set_ylabel("raise to handler (us)")
            ax.set_title(f"edu MSI latency, cpu0 raises, {accel.upper()} -smp {n}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        save(fig, "msi_latency.png")
    return written


def environment(iso: str, accels: list[str]) -> dict[str, str]:
    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": cmd("git", "describe", "--always", "--dirty"),
        "iso": iso,
        "qemu": cmd(qemu.QEMU, "--version").split("\n")[0],
        "host": f"{model}, {os.cpu_count()} cpus, {platform.release()}",
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "accelerators": ", ".join(accels),
    }


# ---------------------------------------------------------------------------------------------


def kvm_usable() -> tuple[bool, str]:
    p = subprocess.run([os.path.join(REPO, "tools", "kvm-usable.sh")], capture_output=True, text=True)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small matrix, for a smoke run")
    kvm = ap.add_mutually_exclusive_group()
    kvm.add_argument("--kvm", dest="kvm", action="store_true", default=None,
                     help="run the KVM cases too (an error if KVM is not usable)")
    kvm.add_argument("--no-kvm", dest="kvm", action="store_false", help="TCG only")
    # `make BUILD=dir bench` puts BUILD in the environment: its ISO and its bench/ then.
    build = os.path.join(REPO, os.environ.get("BUILD") or "build")
    ap.add_argument("--out", default=os.path.join(build, "bench"),
                    help="where CSVs and PNGs go (default: $BUILD/bench, else build/bench)")
    ap.add_argument("--iso", default=os.environ.get("CADRE_ISO") or os.path.join(build, "cadre.iso"),
                    help="the ISO to boot (default: $CADRE_ISO, else $BUILD/cadre.iso, else build/cadre.iso)")
    ap.add_argument("--reps", type=int, help="boots per bring-up point (default 3; 1 with --quick)")
    ap.add_argument("--smp", help="the bring-up and boot-stage -smp counts, e.g. 1,64,255 (default: the matrix's)")
    kvm_iso = os.path.join(build, "kvm", "cadre.iso")
    ap.add_argument("--kvm-iso", default=os.environ.get("CADRE_KVM_ISO") or (kvm_iso if os.path.isfile(kvm_iso) else None),
                    help="the ISO for KVM boots (default: $CADRE_KVM_ISO, else $BUILD/kvm/cadre.iso, the one with "
                         "uncompressed GRUB modules, if it exists, else --iso)")
    ap.add_argument("--firmware", choices=qemu.FIRMWARES, default=os.environ.get("FIRMWARE") or "bios",
                    help="bios (SeaBIOS) or uefi (OVMF) for every boot (default: $FIRMWARE, else bios)")
    ap.add_argument("--commit", help="what the ISO was built from, for results.md (default: git describe here)")
    args = ap.parse_args()

    # ^C, or SIGTERM, stops the running boot (the harness stops QEMU) and writes what was
    # measured.  SIGINT is set explicitly: a shell starts background jobs with it ignored.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    if not os.path.isfile(args.iso):
        log(f"bench: no ISO at {args.iso}: run `make iso` (or give --iso / $CADRE_ISO)")
        return 1
    isos = {"tcg": os.path.abspath(args.iso), "kvm": os.path.abspath(args.kvm_iso or args.iso)}
    if not os.path.isfile(isos["kvm"]):
        log(f"bench: no ISO at {isos['kvm']} (--kvm-iso)")
        return 1
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("CADRE_TEST_LOGS", os.path.join(os.path.abspath(args.out), "logs"))
    matrix = dict(QUICK if args.quick else FULL)
    if args.reps:
        matrix["reps"] = args.reps
    if args.smp:
        try:
            matrix["bringup_smp"] = tuple(int(x) for x in args.smp.split(","))
        except ValueError:
            log(f"bench: --smp {args.smp}: expected counts separated by commas, e.g. 1,64,255")
            return 1

    accels = ["tcg"]
    ok, why = kvm_usable()
    if args.kvm is False:
        log("bench: KVM cases skipped (--no-kvm)")
    elif ok:
        accels.append("kvm")
    elif args.kvm:
        log(f"bench: --kvm, but KVM is not usable here: {why}")
        return 1
    else:
        log(f"bench: KVM cases skipped: {why}")

    total = len(matrix["bringup_smp"]) * len(MODES) * matrix["reps"] + len(matrix["kernel_smp"])
    if "kvm" in accels:
        total += len(matrix["kvm_boots"])
    env = environment(isos["tcg"] if isos["kvm"] == isos["tcg"] else f"{isos['tcg']} (KVM: {isos['kvm']})", accels)
    if args.commit:
        env["commit"] = args.commit
    env["firmware"] = args.firmware
    log(f"bench: {total} boots, {'quick' if args.quick else 'full'} matrix, {', '.join(accels)}; "
        f"commit {env['commit']}, load average {env['load_average_at_start']}")
    t0 = time.monotonic()
    r = Runner(total, isos, args.firmware)
    data: dict[str, list[dict]] = {name: [] for name in CSV_COLUMNS}
    try:
        run_bringup(r, "tcg", matrix["bringup_smp"], matrix["reps"], data["bringup"], data["stages"])
        for n in matrix["kernel_smp"]:
            run_kernel(r, "tcg", n, "parallel", data, None)
        if "kvm" in accels:
            for n, mode in matrix["kvm_boots"]:
                run_kernel(r, "kvm", n, mode, data, data["bringup"])
    except KeyboardInterrupt:
        log("bench: interrupted; writing what was measured so far")
    elapsed = time.monotonic() - t0
    env["elapsed_s"] = f"{elapsed:.0f}"

    for name, columns in CSV_COLUMNS.items():
        write_csv(os.path.join(args.out, f"{name}.csv"), columns, data[name])
    pngs = plot_all(data, args.out)
    tables = summary_tables(data)
    log()
    for title, text in tables:
        log(f"== {title}\n{text}\n")
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("Environment: " + "; ".join(f"{k} {v}" for k, v in env.items()) + "\n\n")
        for title, text in summary_tables(data, markdown=True):
            f.write(f"**{title}**\n\n{text}\n\n")
    log(f"bench: {r.done} boots in {elapsed:.0f} s; CSV, results.md and {len(pngs)} PNGs in {args.out}")
    if r.failures:
        log(f"bench: {len(r.failures)} boot(s) gave no or partial figures:")
        for f_ in r.failures:
            log(f"  {f_}")
    return 0 if any(data.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
