# Probe (session 12): summarize probe_trace.cuh dumps. Usage: python3 trace_an.py FILE.bin [...]
# Slots per tile: producer 0 top, 1 after Q-empty wait, 2 Q issued, 3 before K0 wait_free, 4 after, 5 K0/V0 issued, 6 tile issued;
# consumer c at 8+12c: 0 top, 1 Q landed, 2 n known (branch), 3 K0 landed, 4 S0 done, 5 softmax0 done, 6 loop exit,
# 7 last V landed, 8 last PV done, 9 epilogue issued. Tile 127: 0 gtime start, 1 clk start; 8+12c: gtime end, clk end, tiles.
import sys, numpy as np
for f in sys.argv[1:]:
    a = np.fromfile(f, dtype=np.uint64).reshape(132, 128, 32).astype(np.int64)
    nt = a[:, 127, 10]  # consumer 0's tile count per CTA
    T = int(nt.min()) - 1  # tiles every CTA has, except the last
    c0 = a[:, :T, 8:18]; c1 = a[:, :T, 20:30]; pr = a[:, :T, 0:7]
    period = a[:, 1:T, 8] - a[:, :T - 1, 8]
    def m(x): return float(np.median(x))
    def mean(x): return float(np.mean(x))
    out = [f"{f.split('/')[-1]}: tiles/CTA {nt.min()}-{nt.max()}; period mean {mean(period):.0f} cyc (median {m(period):.0f})"]
    for name, c in (("c0", c0), ("c1", c1)):
        d = np.diff(c, axis=2)  # segment k: slot k -> k+1
        segs = ["top->Q", "Q->n", "n->K0", "K0->S0", "S0->sm0", "sm0->loop end", "->lastV", "lastV->PVdone", "PVdone->epi"]
        out.append(f"  {name}: " + "  ".join(f"{s} {mean(d[:, :, i]):.0f}" for i, s in enumerate(segs)))
        nxt = a[:, 1:T, 8 + (12 if name == 'c1' else 0)] - c[:, :T - 1, 9]
        out.append(f"      epi->next top {mean(nxt):.0f}")
        base = 8 + (12 if name == 'c1' else 0)
        out.append(f"      in-loop waits a tile: K {mean(a[:, :T, base + 10]):.0f}  V {mean(a[:, :T, base + 11]):.0f} cycles")
    # producer relative to consumer 0
    out.append("  prod: top->Qempty %.0f  Qempty->Qissued %.0f  ->K0 wait %.0f  K0 wait %.0f  K0 issue %.0f" % tuple(mean(np.diff(pr, axis=2)[:, :, i]) for i in range(5)))
    out.append("  prod K0 issued minus c0 K0 landed: %.0f (mean), prod top minus c0 top %.0f" % (mean(pr[:, :, 5] - c0[:, :, 3]), mean(pr[:, :, 0] - c0[:, :, 0])))
    g0 = a[:, 127, 0]; g1 = a[:, 127, 8]
    out.append(f"  CTA end spread (globaltimer): {(g1.max() - g1.min()) / 1e3:.1f} us of {(g1.max() - g0.min()) / 1e3:.1f} us")
    clk = (a[:, 127, 9] - a[:, 127, 1]) / np.maximum(g1 - g0, 1)
    out.append(f"  SM clock over the kernel: {np.median(clk) * 1e3:.0f} MHz")
    print("\n".join(out))
