#!/bin/bash
# session 13, call 8: what else the sweep does differently (call 7: after 3 s of warm-up its bn128 select 0.1 still reads
# 3-4% slow): the fills' seeds (11 against 7), lse null, the tensors' addresses (a buffer allocated first). Two rounds.
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib DENSE=0
for r in 1 2; do
  timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "base-$r" 2>&1 | tee -a $OUT/tpad.log
  SEED0=11 timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "seed11-$r" 2>&1 | tee -a $OUT/tpad.log
  LSE=0 timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "lse0-$r" 2>&1 | tee -a $OUT/tpad.log
  PRE=1000 timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "pre1000-$r" 2>&1 | tee -a $OUT/tpad.log
  SEED0=11 LSE=0 PRE=300 timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "all-$r" 2>&1 | tee -a $OUT/tpad.log
done
echo "total $((SECONDS - T0)) s"
