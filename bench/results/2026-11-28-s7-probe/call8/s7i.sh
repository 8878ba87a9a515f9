#!/bin/bash
# session 7, call 8: probe/s192d (lane 0 reads a K stage's keys, the lane that frees the stage; shuffled to the
# warp): sparse tests, racecheck, synccheck, memcheck; the sparse bench against s192c (every lane reads), same call.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TEST_SEED=7008 SPARSED_TUNING=off
SPARSED_LIB_DIR=probe/s192d timeout 100 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head
F="sparse_fwd_hd128_bm128_bn(192|128)_w12_s2_(bf16|fp16)_sm90a (block 128 Nq=Nk=300|block 128 Nq=200 Nk=1000|block 128 Nq=Nk=77)|bn192.*an empty row"
for T in racecheck synccheck memcheck; do
  SPARSED_LIB_DIR=probe/s192d timeout 80 compute-sanitizer --tool $T --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/$T.log 2>&1; echo "$T:"; grep -E "SUMMARY|pass$|fail$" $OUT/$T.log | tail -3
done
for L in s192d s192c s192d; do
  SPARSED_LIB_DIR=probe/$L timeout 60 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse-$L.json > $OUT/sparse-$L.log 2>&1
  echo "== $L"; grep -E " dense |w12_s2_bf16_sm90a:" $OUT/sparse-$L.log | sed -E 's/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/, [0-9.]+ TFLOP\/s on kept blocks//; s/sparse_fwd_hd128_bm128_//; s/dense_fwd_hd128_bm128_//' | cut -c1-100
done
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json sparse-*.log
