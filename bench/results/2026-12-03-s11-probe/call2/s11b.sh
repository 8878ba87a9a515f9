#!/bin/bash
# session 11, call 2: o1 (ovl: the softmax kept under P V by a shared store before the wait) and o2 (pp: o1 + the
# consumers taking turns to issue) against base: timings (two rounds), suites, ncu tensor busy, clocks.
set -u
for R in 1 2; do for L in base ovl pp; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
for T in dense sparse block-lse; do SPARSED_LIB_DIR=probe/ovl SPARSED_TEST_SEED=11402 timeout 120 bun test --timeout 900000 test/$T.gpu.test.ts > $OUT/ovl-$T.log 2>&1; echo "ovl $T tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/ovl-$T.log | head -4; done
for T in sparse; do SPARSED_LIB_DIR=probe/pp SPARSED_TEST_SEED=11403 timeout 60 bun test --timeout 900000 test/$T.gpu.test.ts > $OUT/pp-$T.log 2>&1; echo "pp $T tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/pp-$T.log | head -4; done
M=sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second
for L in base ovl; do SPARSED_LIB_DIR=probe/$L timeout 40 ncu --clock-control none -k regex:dense_ws --launch-skip 1 --launch-count 1 --metrics $M bun probe/one.ts 65536 32 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a > $OUT/ncu-$L.log 2>&1; echo "ncu $L rc=$?"; grep -E "tensor|duration|per_second" $OUT/ncu-$L.log; done
(nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw --format=csv,noheader -lms 100 > $OUT/smi.csv 2>&1) &
SMI=$!
for L in base ovl; do SPARSED_LIB_DIR=probe/$L timeout 20 bun probe/loop.ts 65536 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a 4 "b2b-$L" 2>&1 | tee -a $OUT/loop.log; sleep 1; done
kill $SMI
python3 - <<'PY' | tee -a $OUT/loop.log
import os,re,datetime,statistics
out=os.environ['OUT']; rows=[]
for l in open(out+'/smi.csv'):
    p=[x.strip() for x in l.split(',')]
    try: rows.append((datetime.datetime.strptime(p[0],'%Y/%m/%d %H:%M:%S.%f').timestamp(),float(p[1].split()[0]),float(p[2].split()[0])))
    except Exception: pass
for l in open(out+'/loop.log'):
    m=re.search(r'loop (\S+) .* ([\d.]+) ms a call; window ([\d.]+) ([\d.]+)',l)
    if m:
        w=[r for r in rows if float(m.group(3))+0.5<=r[0]<=float(m.group(4))]
        if w: print(f"{m.group(1)}: {m.group(2)} ms, SM clock median {statistics.median(r[1] for r in w):.0f} MHz, power median {statistics.median(r[2] for r in w):.0f} W ({len(w)} samples)")
PY
tar -C $OUT -czf $OUT/logs.tgz ncu-base.log ncu-ovl.log smi.csv ovl-dense.log ovl-block-lse.log pp-sparse.log && rm -f $OUT/ncu-base.log $OUT/ncu-ovl.log $OUT/smi.csv $OUT/ovl-dense.log $OUT/ovl-block-lse.log $OUT/pp-sparse.log
