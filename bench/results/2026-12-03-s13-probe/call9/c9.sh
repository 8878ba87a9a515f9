#!/bin/bash
# session 13, call 9: the sweep's sequence. Before each sparse timing: nothing (base); 3 s of the sm80 bm64 sparse variant, then
# 3 s of our warm-up (sm80); 3 s of our own kernel, then 3 s of warm-up (self). GPU temperature and power after each run.
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib DENSE=0
T() { nvidia-smi --query-gpu=temperature.gpu,power.draw,clocks.sm --format=csv,noheader; }
for r in 1 2; do
  timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "base-$r" 2>&1 | tee -a $OUT/tpad.log; T
  PREK=sparse_fwd_hd128_bm64_bn64_w4_s2_bf16_sm80 PRES=3 WMS=3000 timeout 40 bun probe/tpad.ts 65536 0.3,0.1 10 "sm80-$r" 2>&1 | tee -a $OUT/tpad.log; T
  PREK=sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a PRES=3 WMS=3000 timeout 40 bun probe/tpad.ts 65536 0.3,0.1 10 "self-$r" 2>&1 | tee -a $OUT/tpad.log; T
done
echo "total $((SECONDS - T0)) s"
