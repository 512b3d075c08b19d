"""Benchmarks (docs/performance.md): one boot of the kernel benchmarks at -smp 2 prints every
figure line in the format tools/bench.py parses.  The values are not checked: figures are
printed, never judged."""

import importlib.util
import os
import re

import qemu

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHES = ("ipi_latency", "nmi_fanout", "irq_entry", "msi_latency", "hotplug")
NUM = r"\d+"
LINES = {
    "ipi_latency": rf"^bench: ipi_latency cpu=1 apic={NUM} rounds={NUM} median_cycles={NUM} p99_cycles={NUM} "
                   rf"median_ns={NUM} p99_ns={NUM}$",
    "nmi_fanout": rf"^bench: nmi_fanout cpus=2 rounds={NUM} median_cycles={NUM} p99_cycles={NUM} "
                  rf"median_ns={NUM} p99_ns={NUM}$",
    "irq_entry": rf"^bench: irq_entry rounds={NUM} cycles_per_irq={NUM} send_only_cycles={NUM} "
                 rf"ns_per_irq={NUM}( \w+={NUM})*$",
    "msi_latency": rf"^bench: msi_latency cpu=[01] apic={NUM} vector=0x[0-9a-f]{{2}} rounds={NUM} median_cycles={NUM} "
                   rf"p99_cycles={NUM} median_ns={NUM} p99_ns={NUM}$",
    "hotplug": rf"^bench: hotplug cpus=2 cpu=1 rounds=50 offline_us_median={NUM} offline_us_p99={NUM} "
               rf"online_us_median={NUM} online_us_p99={NUM}$",
}
# msi_latency measures edu's MSI on each CPU: cpu0 and cpu1 at -smp 2.
PER_BOOT = {"msi_latency": 2}


def load_bench_tool():
    spec = importlib.util.spec_from_file_location("cadre_bench", os.path.join(REPO, "tools", "bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_kernel_benchmarks_print_their_figures(vm):
    b = vm(cmdline="bench=" + ",".join(BENCHES), smp=2, machine="q35", timeout=90, extra_args=["-device", "edu"])
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(rf"^bench: done \({len(BENCHES)} run\)$"), b.summary()
    for name, rx in LINES.items():
        assert len(b.findall(rx)) == PER_BOOT.get(name, 1), f"{name}: no figure line matching {rx}\n{b.summary()}"
        assert b.find(rf"^bench: {name}: .*; (xAPIC|x2APIC), tsc [\d.]+ MHz, hypervisor \S+$"), b.summary()
    assert not b.find(r"^bench: .*warning"), b.summary()

    # tools/bench.py reads the same lines.
    figures, modes = load_bench_tool().parse_bench(b)
    assert sorted(figures) == sorted(BENCHES)
    assert [f["cpu"] for f in figures["ipi_latency"]] == ["1"]
    assert set(modes) == set(BENCHES)
    assert all(re.fullmatch(r"\d+|0x[0-9a-f]+", v) for f in figures.values() for row in f for v in row.values())
