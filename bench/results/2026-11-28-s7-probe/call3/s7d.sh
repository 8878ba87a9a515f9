#!/bin/bash
# session 7, call 3: BN = 192 for the warp-specialized dense kernel (probe/p192: bn192 bf16/fp16, bn128 w12, bm192 w12):
# tests and sanitizers of bn192, then the variants timed against each other and cuDNN in the same call (two rounds).
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=probe/p192 SPARSED_TEST_SEED=7003 SPARSED_TUNING=off
timeout 100 bun test --timeout 900000 test/dense.gpu.test.ts -t bn192 > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head
F="bn192_w12_s2_(bf16|fp16)_sm90a (N=77 GQA 28/4 batch 2|N=1000 32/32|Nq=77 Nk=4097)"
timeout 60 compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts -t "$F" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log | tail -3
timeout 45 compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts -t "$F" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
timeout 45 compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts -t "$F" > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log | tail -3
for r in 1 2; do
  timeout 60 bun bench/dense.ts --n 4096,16384,65536 --d 128 --iterations 10 --all-variants --out $OUT/dense-$r.json > $OUT/dense-$r.log 2>&1
  echo "== round $r"; grep -E "sm90a:" $OUT/dense-$r.log | grep -v '^│'
  timeout 60 python3 bench/peers.py --impls sdpa-cudnn --shapes 1x32x4096x128,1x32x16384x128,1x32x65536x128 --out $OUT/peers-$r.json > $OUT/peers-$r.log 2>&1; grep -E "cudnn" $OUT/peers-$r.log | tail -3
done
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json dense-*.log peers-*.log
