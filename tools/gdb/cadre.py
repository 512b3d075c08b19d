# gdb helpers for cadre (docs/debugging.md, "gdb").  `make debug` loads this file; by hand:
#
#   gdb -ex 'source tools/gdb/cadre.py' build/cadre.elf
#
# Commands (each has `help cadre-...`):
#   cadre-cpus          one line per CPU: number, APIC ID, state, GS base, stacks, canary, gdb thread
#   cadre-percpu N      CPU N's struct percpu, then the fields decoded
#   cadre-irqs          the interrupt counters per vector and CPU, like /proc/interrupts
#   cadre-idt [V|A-B]   the IDT gates: handler and its symbol, IST, DPL, type, present
#   cadre-routes        the I/O APIC routes (ioapic_routes[])
#
# Every command reads the kernel's globals (percpu_areas[], ncpus_possible, the static tables of
# src/irq/irq.c and src/irq/idt.c) through the ELF's DWARF, never through the GS register of the
# vCPU gdb happens to be stopped on, so the output is the same whichever thread is selected.  It
# needs the kernel's higher-half mappings, i.e. the selected vCPU must be in long mode with the
# kernel's page tables (anywhere after kmain's start; not in the AP trampoline's real mode).
#
# Plain Python 3 and gdb's API (gdb 13, Debian 12); nothing to install.

import gdb

STATE_FALLBACK = {0: "absent", 1: "starting", 2: "online", 3: "failed"}
EXCEPTIONS_FALLBACK = ["#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
                       "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"]
GATE_TYPES = {0xE: "interrupt", 0xF: "trap", 0x5: "task", 0xC: "call"}


class CadreError(gdb.GdbError):
    pass


# ------------------------------------------------------------------------------------------------
# Symbols


def _global(name):
    """The value of a global variable, or None if the kernel has no such symbol."""
    sym = gdb.lookup_global_symbol(name)
    if sym is None:
        # A static (file-local) variable of that name.
        sym = gdb.lookup_static_symbol(name)
    if sym is None:
        return None
    return sym.value()


def _static(name, file_suffix):
    """A file-local variable, chosen by the file that defines it (several files may have a static
    of the same name).  None if absent."""
    try:
        syms = gdb.lookup_static_symbols(name)
    except AttributeError:  # gdb < 10
        sym = gdb.lookup_static_symbol(name)
        syms = [sym] if sym is not None else []
    for sym in syms:
        if sym.symtab is not None and sym.symtab.filename.endswith(file_suffix):
            return sym.value()
    return None


def _field(value, name, default=None):
    """value[name], or default where the struct has no such field (the structs still change)."""
    try:
        return value[name]
    except gdb.error:
        return default


def _int(value, default=0):
    if value is None:
        return default
    try:
        return int(value)
    except (gdb.error, gdb.MemoryError):
        return default


def _string(value):
    """A `const char *` as Python text; None for NULL or unreadable."""
    try:
        if value is None or int(value) == 0:
            return None
        raw = bytes(gdb.selected_inferior().read_memory(int(value), 64))
    except (gdb.error, gdb.MemoryError):
        return "?"
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _symbolize(addr):
    """'name+0xoff' for a code address, or ''."""
    try:
        block = gdb.current_progspace().block_for_pc(addr)
    except RuntimeError:
        block = None
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None and block.function is not None:
        off = addr - block.start
        return f"{block.function.print_name}+{off:#x}" if off else block.function.print_name
    # nasm stubs have no DWARF function: fall back to the ELF symbol table.
    try:
        out = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
    except gdb.error:
        return ""
    if out.startswith("No symbol"):
        return ""
    name = out.split(" in section ")[0]
    return name.replace(" + ", "+")


def _memory_hint(e):
    return CadreError(f"cannot read kernel memory ({e}); gdb must be stopped on a vCPU in long mode "
                      "with the kernel's page tables (e.g. after `hbreak kmain` and `continue`)")


def _cpu_state_names():
    try:
        t = gdb.lookup_type("enum cpu_state")
        names = {}
        for f in t.fields():
            n = f.name
            if n.startswith("CPU_"):
                n = n[4:]
            names[int(f.enumval)] = n.lower()
        return names or STATE_FALLBACK
    except gdb.error:
        return STATE_FALLBACK


def _exception_mnemonic(v):
    table = _static("exceptions", "debug/exceptions.c")
    if table is not None:
        try:
            n = table.type.range()[1] + 1
            if v < n:
                s = _string(_field(table[v], "mnemonic"))
                if s:
                    return s
        except (gdb.error, gdb.MemoryError, RuntimeError):
            pass
    return EXCEPTIONS_FALLBACK[v] if v < len(EXCEPTIONS_FALLBACK) else f"#{v}"


def _percpus():
    """[(cpu number, struct percpu value)] for percpu_areas[0..ncpus_possible-1], skipping NULLs."""
    areas = _global("percpu_areas")
    n = _global("ncpus_possible")
    if areas is None or n is None:
        raise CadreError("no percpu_areas / ncpus_possible in this kernel (is the file build/cadre.elf?)")
    try:
        n = int(n)
        out = []
        for i in range(n):
            p = areas[i]
            if int(p) != 0:
                out.append((i, p.dereference()))
        return out
    except gdb.MemoryError as e:
        raise _memory_hint(e)


def _range(stack):
    lo, hi = _int(_field(stack, "lo")), _int(_field(stack, "hi"))
    if not lo and not hi:
        return "-"
    return f"{lo:016x}-{hi:016x}"


def _threads_by_gs():
    """{GS base: gdb thread number} for the vCPUs of the current inferior (QEMU shows each vCPU as
    a thread and exposes gs_base).  Empty where gs_base cannot be read."""
    out = {}
    inferior = gdb.selected_inferior()
    if inferior is None or inferior.pid == 0:
        return out
    selected = gdb.selected_thread()
    frame = None
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        pass
    try:
        for t in inferior.threads():
            try:
                t.switch()
                gs = int(gdb.parse_and_eval("$gs_base")) & 0xFFFFFFFFFFFFFFFF
                out.setdefault(gs, t.num)
            except (gdb.error, gdb.MemoryError):
                continue
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()
    return out


# ------------------------------------------------------------------------------------------------
# Commands


class CadreCpus(gdb.Command):
    """List cadre's CPUs: one line per per-CPU area in percpu_areas[0..ncpus_possible-1].

Columns: CPU number, APIC ID, state (enum cpu_state: absent, starting, online, failed, dying, offline), the GS
base (the area's own address, which IA32_GS_BASE holds on that CPU), the stack-protector canary
(%gs:40), the kernel and IRQ stacks (lo-hi), the IST stacks #DF, NMI, #DB, #MC (their tops, as in
the TSS), and the gdb thread (QEMU vCPU) whose gs_base is that area, where gdb can tell.
Read from memory through percpu_areas, so it works whichever vCPU gdb is stopped on."""

    def __init__(self):
        super().__init__("cadre-cpus", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        states = _cpu_state_names()
        cpus = _percpus()
        if not cpus:
            print("no per-CPU areas yet (ncpus_possible is 0: the BSP's is made in kmain)")
            return
        threads = _threads_by_gs()
        print(f"{'cpu':>3} {'apic':>4} {'state':<8} {'gs base':<16} {'canary':<16} "
              f"{'kernel stack':<33} {'irq stack':<33} {'#DF top':<16} {'NMI top':<16} "
              f"{'#DB top':<16} {'#MC top':<16} thread")
        try:
            for i, pc in cpus:
                state = _int(_field(pc, "state"))
                gs = int(pc.address)
                ist = _field(pc, "ist_stack")
                tops = []
                for k in (1, 2, 3, 4):
                    hi = _int(_field(ist[k], "hi")) if ist is not None else 0
                    tops.append(f"{hi:016x}" if hi else "-")
                thread = threads.get(gs)
                print(f"{_int(_field(pc, 'cpu'), i):>3} {_int(_field(pc, 'apic_id')):>4} "
                      f"{states.get(state, str(state)):<8} {gs:016x} {_int(_field(pc, 'stack_canary')):016x} "
                      f"{_range(_field(pc, 'kernel_stack')):<33} {_range(_field(pc, 'irq_stack')):<33} "
                      f"{tops[0]:<16} {tops[1]:<16} {tops[2]:<16} {tops[3]:<16} "
                      f"{thread if thread is not None else '-'}")
        except gdb.MemoryError as e:
            raise _memory_hint(e)


class CadrePercpu(gdb.Command):
    """Print CPU N's per-CPU area: cadre-percpu N

First gdb's own print of *percpu_areas[N] (struct percpu, in hex), then decoded: the state, whether
self points at the area, the canary, the IRQ nesting count, each stack with the TSS's IST entry
and the stack it should point at, and the vectors this CPU has counted."""

    def __init__(self):
        super().__init__("cadre-percpu", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1:
            raise CadreError("usage: cadre-percpu N (a CPU number, 0 = BSP; cadre-cpus lists them)")
        try:
            n = int(gdb.parse_and_eval(argv[0]))
        except gdb.error:
            raise CadreError(f"cadre-percpu: '{argv[0]}' is not a CPU number")
        cpus = dict(_percpus())
        if n not in cpus:
            raise CadreError(f"cadre-percpu: no CPU {n} (CPUs: {', '.join(map(str, sorted(cpus))) or 'none'})")
        pc = cpus[n]
        states = _cpu_state_names()
        try:
            try:
                gdb.execute(f"with print pretty on -- print/x *percpu_areas[{n}]")
            except gdb.error:  # gdb < 10 has no `with`
                gdb.execute(f"print/x *percpu_areas[{n}]")
            addr = int(pc.address)
            state = _int(_field(pc, "state"))
            print(f"--- cpu{n} decoded ---")
            print(f"area (GS base)  {addr:#018x}   self {_int(_field(pc, 'self')):#018x}"
                  f"{'' if _int(_field(pc, 'self')) == addr else '   (self != area: corrupt?)'}")
            print(f"apic id         {_int(_field(pc, 'apic_id'))}")
            print(f"state           {states.get(state, state)} ({state})")
            print(f"canary (%gs:40) {_int(_field(pc, 'stack_canary')):#018x}")
            print(f"irq_count       {_int(_field(pc, 'irq_count'))} (nesting on the IRQ stack; 0 = not in an interrupt)")
            print(f"in_panic        {_int(_field(pc, 'in_panic'))}")
            print(f"kernel stack    {_range(_field(pc, 'kernel_stack'))}")
            print(f"irq stack       {_range(_field(pc, 'irq_stack'))}   irq_stack_top {_int(_field(pc, 'irq_stack_top')):#x}")
            tss = _field(pc, "tss")
            ist = _field(pc, "ist_stack")
            for k, name in ((1, "#DF"), (2, "NMI"), (3, "#DB"), (4, "#MC")):
                tss_ist = _int(tss["ist"][k - 1]) if tss is not None else 0
                rng = _range(ist[k]) if ist is not None else "-"
                hi = _int(_field(ist[k], "hi")) if ist is not None else 0
                note = "" if tss_ist == hi else "   (TSS IST != stack top)"
                print(f"IST{k} {name:<4}      {rng}   TSS.ist[{k}] {tss_ist:#x}{note}")
            counts = _field(pc, "vector_count")
            if counts is not None:
                nv = counts.type.range()[1] + 1
                hits = [(v, _int(counts[v])) for v in range(nv)]
                hits = [(v, c) for v, c in hits if c]
                print("vectors counted " + (", ".join(f"{v:#04x}:{c}" for v, c in hits) or "none"))
            for f in ("nmi_count", "spurious_count"):
                val = _field(pc, f)
                if val is not None:
                    print(f"{f:<15} {_int(val)}")
        except gdb.MemoryError as e:
            raise _memory_hint(e)


class CadreIrqs(gdb.Command):
    """Print the interrupt counters like /proc/interrupts.

One row per vector that some CPU has counted (vector_count[] in each struct percpu), one column
per CPU, and the source: the I/O APIC route (IRQ n) and the handler name from the handlers[]
table of src/irq/irq.c, or the exception's mnemonic for vectors 0-31.  Then rows for NMIs
(nmi_count), spurious interrupts (spurious_count) and local APIC errors (errors[] in
src/apic/lapic.c) where the kernel has them."""

    def __init__(self):
        super().__init__("cadre-irqs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        cpus = _percpus()
        if not cpus:
            print("no per-CPU areas yet")
            return
        handlers = _static("handlers", "irq/irq.c")
        routes = _global("ioapic_routes")
        nroutes = _int(_global("ioapic_nroutes"))
        errors = _static("errors", "apic/lapic.c")
        try:
            route_of = {}
            if routes is not None:
                for i in range(nroutes):
                    r = routes[i]
                    route_of[_int(_field(r, "vector"))] = _int(_field(r, "irq"))

            def source(v):
                name = None
                if handlers is not None:
                    name = _string(_field(handlers[v], "name"))
                if v in route_of:
                    return f"IRQ{route_of[v]:<2} {name or ''}".rstrip()
                if v < 32:
                    return _exception_mnemonic(v)
                return name or "(no handler)"

            counts = {i: _field(pc, "vector_count") for i, pc in cpus}
            nv = 256
            first = next(iter(counts.values()))
            if first is not None:
                nv = first.type.range()[1] + 1
            header = f"{'vec':<4} {'source':<22}" + "".join(f" {'cpu' + str(i):>10}" for i, _ in cpus)
            print(header)
            rows = 0
            for v in range(nv):
                vals = [_int(counts[i][v]) if counts[i] is not None else 0 for i, _ in cpus]
                if not any(vals):
                    continue
                rows += 1
                print(f"{v:#04x} {source(v)[:22]:<22}" + "".join(f" {c:>10}" for c in vals))
            extra = [("NMI", lambda i, pc: _int(_field(pc, "nmi_count"))),
                     ("spurious", lambda i, pc: _int(_field(pc, "spurious_count")))]
            if errors is not None:
                extra.append(("APIC errors", lambda i, pc: _int(errors[i])))
            for name, get in extra:
                vals = [get(i, pc) for i, pc in cpus]
                print(f"{'-':<4} {name:<22}" + "".join(f" {c:>10}" for c in vals))
            if not rows:
                print("(no vector counted yet)")
        except gdb.MemoryError as e:
            raise _memory_hint(e)


class CadreIdt(gdb.Command):
    """Print the IDT: cadre-idt [VECTOR | FIRST-LAST]   (default: all 256 vectors)

The full IDT of src/irq/idt.c (`idt`, 256 16-byte gates, read-only once built; every CPU loads
the same one).  Per vector: the handler address and its symbol (the stub from isr.asm), the
selector, IST index (0 = no stack switch; 1 #DF, 2 NMI, 3 #DB, 4 #MC), DPL, gate type
(interrupt: IF cleared on entry; trap: IF kept) and the present bit.  Before trap_init() has
run the table is all zero and the gates show as not present."""

    def __init__(self):
        super().__init__("cadre-idt", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        idt = _static("idt", "irq/idt.c")
        if idt is None:
            raise CadreError("no `idt` in src/irq/idt.c in this kernel")
        nv = idt.type.range()[1] + 1
        lo, hi = 0, nv - 1
        arg = arg.strip()
        if arg:
            try:
                if "-" in arg:
                    a, b = arg.split("-", 1)
                    lo, hi = int(gdb.parse_and_eval(a)), int(gdb.parse_and_eval(b))
                else:
                    lo = hi = int(gdb.parse_and_eval(arg))
            except gdb.error:
                raise CadreError("usage: cadre-idt [VECTOR | FIRST-LAST], e.g. cadre-idt 0x20-0x2f")
            if not (0 <= lo <= hi < nv):
                raise CadreError(f"cadre-idt: vectors are 0..{nv - 1}")
        print(f"{'vec':<4} {'handler':<18} {'sel':<4} ist dpl {'type':<9} P symbol")
        try:
            for v in range(lo, hi + 1):
                g = idt[v]
                addr = (_int(g["offset_lo"]) | _int(g["offset_mid"]) << 16 | _int(g["offset_hi"]) << 32)
                attr = _int(g["type_attr"])
                present = (attr >> 7) & 1
                dpl = (attr >> 5) & 3
                typ = GATE_TYPES.get(attr & 0xF, f"{attr & 0xF:#x}")
                ist = _int(g["ist"]) & 7
                sym = _symbolize(addr) if addr else ""
                print(f"{v:#04x} {addr:#018x} {_int(g['selector']):#04x} {ist:>3} {dpl:>3} {typ:<9} {present} {sym}")
        except gdb.MemoryError as e:
            raise _memory_hint(e)


class CadreRoutes(gdb.Command):
    """Print the I/O APIC routes: ioapic_routes[0..ioapic_nroutes-1].

The layout read (src/irq/route.h; fields that are missing print as '?'):
    struct irq_route { uint8_t irq; uint32_t gsi; uint8_t vector; uint32_t cpu;
                       bool level, active_low, masked; const char *name; };
    struct irq_route ioapic_routes[]; unsigned ioapic_nroutes;
irq is the ISA IRQ, gsi the I/O APIC input after the MADT's overrides, cpu the CPU number (its
APIC ID is looked up in percpu_areas).  With no ioapic_routes symbol (a kernel from before the
I/O APIC code) the command says so."""

    def __init__(self):
        super().__init__("cadre-routes", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        routes = _global("ioapic_routes")
        if routes is None:
            print("no I/O APIC routes in this kernel (symbol ioapic_routes not found)")
            return
        n = _global("ioapic_nroutes")
        try:
            if n is None:
                # An array without a count: print the entries up to the first all-zero one.
                n = routes.type.range()[1] + 1 if routes.type.code == gdb.TYPE_CODE_ARRAY else 0
                limit_by_zero = True
            else:
                n = int(n)
                limit_by_zero = False
            apic = {i: _int(_field(pc, "apic_id"), None) for i, pc in _percpus_or_empty()}

            def f(r, name):
                v = _field(r, name)
                return "?" if v is None else _int(v)

            print(f"{'irq':>3} {'gsi':>4} {'vector':>6} {'cpu':>4} {'apic':>4} {'trigger':<7} {'polarity':<8} {'mask':<6} name")
            shown = 0
            for i in range(n):
                r = routes[i]
                irq, gsi, vec, cpu = f(r, "irq"), f(r, "gsi"), f(r, "vector"), f(r, "cpu")
                if limit_by_zero and not any(isinstance(x, int) and x for x in (irq, gsi, vec)):
                    break
                level, low, masked = f(r, "level"), f(r, "active_low"), f(r, "masked")
                name = _string(_field(r, "name")) or ""
                a = apic.get(cpu) if isinstance(cpu, int) else None
                vec_s = f"{vec:#04x}" if isinstance(vec, int) else vec
                print(f"{irq:>3} {gsi:>4} {vec_s:>6} {cpu:>4} {a if a is not None else '?':>4} "
                      f"{'?' if level == '?' else ('level' if level else 'edge'):<7} "
                      f"{'?' if low == '?' else ('low' if low else 'high'):<8} "
                      f"{'?' if masked == '?' else ('masked' if masked else 'on'):<6} {name}")
                shown += 1
            if not shown:
                print("(no routes yet: ioapic_nroutes is 0)")
        except gdb.MemoryError as e:
            raise _memory_hint(e)


def _percpus_or_empty():
    try:
        return _percpus()
    except CadreError:
        return []


CadreCpus()
CadrePercpu()
CadreIrqs()
CadreIdt()
CadreRoutes()
