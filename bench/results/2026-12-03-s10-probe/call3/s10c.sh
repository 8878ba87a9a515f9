#!/bin/bash
# session 10, call 3: clocks and power under back-to-back calls (dense, sparse 0.3 / 0.1 at 64k, the library's kernels),
# FlexAttention at 64k in the same call, isolated single calls (ncu-like: after 2 s idle) against back-to-back;
# probe ch64: dense bn192 copying K/V as three 64-row boxes a tile (as the sparse bn192 kernel does) against one 192-row box.
set -u
SPARSED_LIB_DIR=probe/ch64 SPARSED_TEST_SEED=10301 timeout 60 bun test --timeout 900000 test/dense.gpu.test.ts -t bn192 > $OUT/ch64-tests.log 2>&1; echo "ch64 dense tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/ch64-tests.log | head -4
SPARSED_LIB_DIR=probe/box2 SPARSED_TEST_SEED=10302 timeout 60 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/box2-tests.log 2>&1; echo "box2 sparse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/box2-tests.log | head -4
SPARSED_LIB_DIR=probe/box2 SPARSED_TEST_SEED=10303 timeout 60 compute-sanitizer --tool memcheck --print-limit 10 bun test --timeout 900000 test/sparse.gpu.test.ts -t "bn192.*(Nq=Nk=300|Nq=200 Nk=1000|Nq=Nk=600)" > $OUT/box2-memcheck.log 2>&1; echo "box2 memcheck rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/box2-memcheck.log | tail -3
for R in 1 2; do for L in base ch64 box2; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
nvidia-smi -q -d POWER | grep -E "Power Limit|Power Draw" | head -6 | tee $OUT/power.txt
(nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active --format=csv,noheader -lms 100 > $OUT/smi.csv 2>&1) &
SMI=$!
export SPARSED_LIB_DIR=probe/base
sleep 1
for V in "1 dense_fwd_hd128_bm128_bn192_w12_s2_bf16_sm90a" "0.3 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a" "0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a" "1 dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a"; do
  set -- $V; timeout 30 bun probe/loop.ts 65536 $1 $2 5 b2b 2>&1 | tee -a $OUT/loop.log; sleep 2
  timeout 30 bun probe/loop.ts 65536 $1 $2 0.01 cold 2>&1 | tee -a $OUT/loop.log; sleep 2
done
date +%s.%N > $OUT/flex-window.txt
timeout 200 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --reps 40 --out $OUT/flex.json > $OUT/flex.log 2>&1; echo "flex rc=$?"; grep -E "flex" $OUT/flex.log | tail -4
date +%s.%N >> $OUT/flex-window.txt
timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 same-call 2>&1 | tee -a $OUT/loop.log
kill $SMI
python3 - <<'PY' | tee $OUT/clocks.txt
import os,re,datetime,statistics
out=os.environ['OUT']
rows=[]
for l in open(out+'/smi.csv'):
    p=[x.strip() for x in l.split(',')]
    try:
        ts=datetime.datetime.strptime(p[0],'%Y/%m/%d %H:%M:%S.%f').timestamp()
        rows.append((ts,float(p[1].split()[0]),float(p[2].split()[0]),p[3],p[4]))
    except Exception: pass
def summ(a,b,name):
    w=[r for r in rows if a+0.5<=r[0]<=b]
    if not w: print(name,'no samples'); return
    print(f"{name}: {len(w)} samples, SM clock median {statistics.median(r[1] for r in w):.0f} MHz (min {min(r[1] for r in w):.0f}), power median {statistics.median(r[2] for r in w):.0f} W, temp {w[-1][3]}, reasons {sorted(set(r[4] for r in w))}")
for l in open(out+'/loop.log'):
    m=re.search(r'loop (\S+) (\S+) N=\d+ select (\S+): .* ([\d.]+) ms a call; window ([\d.]+) ([\d.]+)',l)
    if m and m.group(1)=='b2b': summ(float(m.group(5)),float(m.group(6)),f"{m.group(2)} select {m.group(3)} ({m.group(4)} ms)")
fw=[float(x) for x in open(out+'/flex-window.txt')]
w=[r for r in rows if fw[0]<=r[0]<=fw[1] and r[2]>300]
if w: print(f"flex window (power > 300 W): {len(w)} samples, SM clock median {statistics.median(r[1] for r in w):.0f} MHz, power median {statistics.median(r[2] for r in w):.0f} W")
PY
gzip $OUT/smi.csv
tar -C $OUT -czf $OUT/logs.tgz power.txt flex-window.txt ch64-tests.log box2-tests.log box2-memcheck.log smi.csv.gz && rm -f $OUT/power.txt $OUT/flex-window.txt $OUT/ch64-tests.log $OUT/box2-tests.log $OUT/box2-memcheck.log $OUT/smi.csv.gz
