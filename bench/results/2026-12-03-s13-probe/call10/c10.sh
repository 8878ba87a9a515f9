#!/bin/bash
# session 13, call 10: steady state on both sides (call 9: after 6 s of load our 64k select 0.1 reads 3-5% slower than
# 15 launches after an idle second). Ours: 3 s of the kernel, 3 s of warm-up, 10 samples; Flex: --warmup 400 / 150 calls
# (~7 s), 30 samples; plus both the old way (ours base, Flex --warmup 5).
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib DENSE=0
timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "base-1" 2>&1 | tee -a $OUT/tpad.log
PREK=sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a PRES=3 WMS=3000 timeout 40 bun probe/tpad.ts 65536 0.3,0.1 10 "steady-1" 2>&1 | tee -a $OUT/tpad.log
for s in 0.1 0.3; do W=$([ $s = 0.1 ] && echo 400 || echo 150); timeout 100 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --select $s --warmup $W --reps 30 --out $OUT/flex-steady-$s.json > $OUT/flex-steady-$s.log 2>&1; echo "flex steady $s rc=$?"; grep -E "^  flex" $OUT/flex-steady-$s.log; done
timeout 60 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --reps 30 --out $OUT/flex-base.json > $OUT/flex-base.log 2>&1; echo "flex base rc=$?"; grep -E "^  flex" $OUT/flex-base.log
PREK=sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a PRES=3 WMS=3000 timeout 40 bun probe/tpad.ts 65536 0.3,0.1 10 "steady-2" 2>&1 | tee -a $OUT/tpad.log
timeout 30 bun probe/tpad.ts 65536 0.3,0.1 10 "base-2" 2>&1 | tee -a $OUT/tpad.log
echo "total $((SECONDS - T0)) s"
