#!/bin/bash
# session 7, call 5: the sparse warp-specialized kernel at BN = 192 (three 64-key chunks a tile, each from its own
# kv block; probe/s192): tests and sanitizers, then every sparse variant of the probe timed against the dense
# bn192 call, and FlexAttention on the same shapes, in the same call.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=probe/s192 SPARSED_TEST_SEED=7005 SPARSED_TUNING=off
timeout 150 bun test --timeout 900000 test/sparse.gpu.test.ts test/dense.gpu.test.ts -t "bn192|an empty row" > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head
F="sparse_fwd_hd128_bm128_bn192_w12_s2_(bf16|fp16)_sm90a (block 128 Nq=Nk=300|block 128 Nq=200 Nk=1000|block 128 Nq=Nk=77|block 128 Nq=Nk=2049)|bn192.*an empty row"
timeout 90 compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log | tail -3
timeout 50 compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
timeout 50 compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$F" > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log | tail -3
timeout 110 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse.json > $OUT/sparse.log 2>&1; echo "sparse rc=$?"
grep -E " dense |w12_s2_bf16_sm90a:|: selection" $OUT/sparse.log | cut -c1-170
timeout 100 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --out $OUT/peers-sparse.json > $OUT/peers-sparse.log 2>&1; echo "peers rc=$?"; grep -E "^  flex" $OUT/peers-sparse.log | head -4
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json
