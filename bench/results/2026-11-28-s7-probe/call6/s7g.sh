#!/bin/bash
# session 7, call 6: the sparse warp-specialized kernel with each K stage's first keys written by the producer
# beside the stage (the consumers load no list entries, no division), BN 128 and 192 (probe/s192b): tests and
# sanitizers, then the sparse variants timed against the dense bn192 call and FlexAttention, same call.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=probe/s192b SPARSED_TEST_SEED=7006 SPARSED_TUNING=off
timeout 120 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head
F="sparse_fwd_hd128_bm128_bn(192|128)_w12_s2_(bf16|fp16)_sm90a (block 128 Nq=Nk=300|block 128 Nq=200 Nk=1000|block 128 Nq=Nk=77)|bn192.*an empty row"
timeout 70 compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log | tail -3
timeout 40 compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
timeout 40 compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log | tail -3
timeout 100 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse.json > $OUT/sparse.log 2>&1; echo "sparse rc=$?"
grep -E " dense |w12_s2_bf16_sm90a:" $OUT/sparse.log | cut -c1-170
timeout 80 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --out $OUT/peers-sparse.json > $OUT/peers-sparse.log 2>&1; echo "peers rc=$?"; grep -E "^  flex" $OUT/peers-sparse.log | head -4
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json
