#!/bin/bash
# session 13, call 7: the sweep with a time-based warm-up (--warmup-ms 1000, 3000) against tpad.ts (call 6: warmup 3 read bn128 +11% / +5% at select 0.1 / 0.3, warmup 40 +2.6%).
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib
DENSE=0 timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "t1" 2>&1 | tee -a $OUT/tpad.log
for W in 1000 3000; do timeout 200 bun run bench --sweep --ops sparse --n 65536 --d 128 --block 128 --select 0.1,0.3 --iterations 10 --warmup 3 --warmup-ms $W --out $OUT/sweep-w$W.json > $OUT/sweep-w$W.log 2>&1; echo "sweep warmup $W rc=$? at $((SECONDS - T0)) s"; grep -E "w12_s2_bf16_sm90a block" $OUT/sweep-w$W.log; done
DENSE=0 timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "t2" 2>&1 | tee -a $OUT/tpad.log
echo "total $((SECONDS - T0)) s"
