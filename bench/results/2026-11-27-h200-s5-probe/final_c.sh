#!/bin/bash
# session 5, call C: the configuration sweep (dense, sparse, select; N 4k-64k) -> this GPU's tuning table, with the peers
set -u
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
S=1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128
timeout 130 python3 bench/peers.py --shapes $S --ceilings --out $OUT/peers.json > $OUT/peers.log 2>&1; echo "peers rc=$?"
timeout 380 bun run bench --sweep --n 4096,16384,65536 --select 0.1,0.3 --iterations 5 --ceiling $OUT/peers.json --peers $OUT/peers.json --tuning-out $OUT/tuning --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$?"
grep -E "gate|FAIL" $OUT/sweep.log | tail -3
python3 - <<'PY'
import json, os
out = os.environ["OUT"]
rows = json.load(open(f"{out}/sweep.json"))
rows = rows["rows"] if isinstance(rows, dict) else rows
best = {}
for r in rows:
    if r.get("op") == "dense" and r.get("impl", "sparsed") == "sparsed" and r.get("tflops"):
        k = (r["D"], r["N"])
        if k not in best or r["tflops"] > best[k][0]: best[k] = (r["tflops"], r["variant"])
prow = [r for r in rows if r.get("impl") in ("sdpa-flash", "sdpa-cudnn")]
for (D, N), (t, v) in sorted(best.items()):
    pk = {p.get("impl"): p.get("tflops") for p in prow if p.get("D") == D and p.get("N") == N}
    print(D, N, round(t, 1), v, {k: round(x, 1) for k, x in pk.items() if x})
PY
cd $OUT && tar czf sweep.tgz sweep.* tuning peers.log && rm -rf tuning sweep.csv
