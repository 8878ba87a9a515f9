#!/bin/bash
# session 10, call 4: probe rot (each sparse bn128 row's blocks from list entry (globaltimer / 1.9 us) mod count on, so the
# CTAs running at once read the same part of the kv range): the sparse suite, timings against base (two rounds),
# ncu L2 hit rate and DRAM bytes of both (64k select 0.1, bn128).
set -u
SPARSED_LIB_DIR=probe/rot SPARSED_TEST_SEED=10401 timeout 60 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/rot-tests.log 2>&1; echo "rot sparse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/rot-tests.log | head -4
for R in 1 2; do for L in base rot; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum
for L in base rot; do SPARSED_LIB_DIR=probe/$L timeout 60 ncu --clock-control none -k regex:dense_ws --launch-skip 1 --launch-count 1 --metrics $M bun probe/one.ts 65536 32 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a > $OUT/ncu-$L.log 2>&1; echo "ncu $L rc=$?"; grep -E "lts__|dram__|tensor|duration" $OUT/ncu-$L.log; done
(nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw --format=csv,noheader -lms 100 > $OUT/smi.csv 2>&1) &
SMI=$!
for L in base rot; do SPARSED_LIB_DIR=probe/$L timeout 30 bun probe/loop.ts 65536 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a 4 "b2b-$L" 2>&1 | tee -a $OUT/loop.log; sleep 1; done
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
tar -C $OUT -czf $OUT/logs.tgz ncu-base.log ncu-rot.log smi.csv && rm -f $OUT/ncu-base.log $OUT/ncu-rot.log $OUT/smi.csv
