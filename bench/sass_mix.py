#!/usr/bin/env python3
"""Opcode mix of the kernels in a cubin/shared library (run where cuobjdump exists, e.g. the GPU machine):
   python3 bench/sass_mix.py generated/libsparsed.so select_sm90 [--top 25]
Prints each matching kernel's instruction count and, for the first, its most frequent opcodes."""
import collections, re, subprocess, sys

lib, pattern = sys.argv[1], sys.argv[2]
top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 25
sass = subprocess.run(["cuobjdump", "-sass", lib], capture_output=True, text=True, check=True).stdout
kernels, name, arch = {}, None, "?"
for line in sass.splitlines():
    m = re.search(r"arch = (sm_\w+)", line)
    if m:
        arch = m.group(1)
    m = re.match(r"\s*Function : (\S+)", line)
    if m:
        name = f"[{arch}] {m.group(1)}"  # a kernel built for two targets appears once per target
        kernels[name] = collections.Counter()
        continue
    m = re.match(r"\s*/\*[0-9a-f]{4,}\*/\s+(@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)", line)
    if m and name:
        kernels[name][m.group(2).split(".")[0]] += 1
hits = [(n, c) for n, c in kernels.items() if pattern in n]
for n, c in hits:
    print(f"{sum(c.values()):6d} instructions  {n[:140]}")
if hits:
    n, c = hits[0]
    print(f"\nopcode mix of {n[:100]}:")
    for op, k in c.most_common(top):
        print(f"  {op:12s} {k}")
