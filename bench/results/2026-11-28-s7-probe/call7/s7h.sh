#!/bin/bash
# session 7, call 7: probe/s192c (s192b + a __syncwarp before a warp frees a K stage, so that every lane's read of
# the stage's keys is ordered before the producer rewrites them): racecheck and synccheck; then the sparse bench
# alternating s192c (keys from shared memory) and s192 (keys from list loads in the consumers), same call.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TEST_SEED=7007 SPARSED_TUNING=off
F="sparse_fwd_hd128_bm128_bn(192|128)_w12_s2_(bf16|fp16)_sm90a (block 128 Nq=Nk=300|block 128 Nq=200 Nk=1000|block 128 Nq=Nk=77)|bn192.*an empty row"
SPARSED_LIB_DIR=probe/s192c timeout 80 compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log | tail -3
SPARSED_LIB_DIR=probe/s192c timeout 40 compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
for L in s192c s192 s192c; do
  SPARSED_LIB_DIR=probe/$L timeout 60 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse-$L.json > $OUT/sparse-$L.log 2>&1
  echo "== $L"; grep -E " dense |w12_s2_bf16_sm90a:" $OUT/sparse-$L.log | sed -E 's/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/, [0-9.]+ TFLOP\/s on kept blocks//' | cut -c1-120
done
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json sparse-*.log
