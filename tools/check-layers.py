#!/usr/bin/env python3
"""Checks that #include (and nasm %include) runs one way between the layers of src/.

The layers are read from docs/layers.md, the block between `<!-- layers begin -->` and
`<!-- layers end -->`: one folder a line, the top layer first.  A file may include files of its
own folder and of the folders listed below it, never above.  A `*_tests.c` file belongs to the
`ktest` layer wherever it sits (a test sits beside the code it tests but runs on the test runner).

It also checks that no circle joins two units by #include, a unit being one name in one folder:
`foo.c` with `foo.h`, `foo.defs.h`, `foo.inc` and `foo.asm`.

Usage: tools/check-layers.py [--stats] [--src DIR] [--doc FILE]
Prints one line per fault and exits 1 if there is any; --stats prints the counts as well."""

import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*[#%]\s*include\s+"([^"]+)"')
SOURCES = (".c", ".h", ".asm", ".inc")
TEST_LAYER = "ktest"


def read_layers(doc):
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"<!-- layers begin -->(.*?)<!-- layers end -->", text, re.S)
    if not m:
        sys.exit(f"check-layers: no layers block in {doc}")
    names = []
    for line in m.group(1).splitlines():
        w = re.match(r"\s*([a-z0-9_]+)\s", line + " ")
        if w and not line.strip().startswith(("```", "|", "-")):
            names.append(w.group(1))
    # top first in the document: the rank is the distance from the bottom
    return {name: len(names) - i for i, name in enumerate(names)}


def unit_of(path):
    """src-relative path -> (folder, unit name)."""
    folder, name = path.split("/", 1)
    for ext in (".defs.h", ".c", ".h", ".asm", ".inc"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return folder, name


def target_of(inc):
    """An include string -> the src-relative file it names."""
    if inc.startswith("src/"):
        inc = inc[4:]
    if inc.endswith(".inc") and not os.path.exists(os.path.join(SRC, inc)):
        inc = inc[:-4] + ".defs.h"  # generated from the .defs.h beside it (tools/defs2inc.sh)
    return inc


def strongly_connected(graph):
    """Tarjan's algorithm, iterative; returns the components with more than one node."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    global SRC
    ap = argparse.ArgumentParser()
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("--src", default="src")
    ap.add_argument("--doc", default="docs/layers.md")
    args = ap.parse_args()
    SRC = args.src
    rank = read_layers(args.doc)
    faults, edges, cross = [], 0, 0
    graph = {}
    for folder in sorted(os.listdir(SRC)):
        if not os.path.isdir(os.path.join(SRC, folder)):
            continue
        if folder not in rank:
            faults.append(f"src/{folder}/: a folder docs/layers.md does not place in a layer")
            continue
        for name in sorted(os.listdir(os.path.join(SRC, folder))):
            if not name.endswith(SOURCES):
                continue
            path = f"{folder}/{name}"
            layer = TEST_LAYER if name.endswith("_tests.c") else folder
            me = unit_of(path)
            graph.setdefault(me, set())
            for n, line in enumerate(open(os.path.join(SRC, path), encoding="utf-8", errors="replace"), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                tgt = target_of(m.group(1))
                if "/" not in tgt:
                    continue  # a system header (<stdint.h> style names never get here)
                tfolder = tgt.split("/", 1)[0]
                edges += 1
                if tfolder != folder:
                    cross += 1
                if tfolder not in rank:
                    faults.append(f"src/{path}:{n}: includes {m.group(1)}, in no layer")
                    continue
                if rank[tfolder] > rank.get(layer, len(rank)):
                    faults.append(f"src/{path}:{n}: includes {m.group(1)}: layer {tfolder} is above {layer} "
                                  "(docs/layers.md)")
                if not name.endswith("_tests.c"):
                    other = unit_of(tgt)
                    if other != me:
                        graph[me].add(other)
    circles = strongly_connected(graph)
    for comp in circles:
        faults.append("a circle of includes joins " + ", ".join(f"{f}/{u}" for f, u in comp))
    for f in faults:
        print(f"check-layers: {f}")
    if args.stats:
        print(f"check-layers: {len(graph)} units, {edges} includes ({cross} across folders), "
              f"{sum(1 for f in faults if 'above' in f)} against the layering, {len(circles)} circles")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
