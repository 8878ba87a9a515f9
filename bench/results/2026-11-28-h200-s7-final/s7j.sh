#!/bin/bash
# session 7, call 9 (final): the whole library. Dense GPU suite of the warp-specialized variants and racecheck /
# synccheck of their small cases (the sparse ones: call 8, same code); the peers and ceilings; the dense + sparse
# sweep with the peers joined; this GPU's table's dense and sparse entries from it (bun run tuning --ops); then
# sparse / selection / schedule with that table and FlexAttention / the PyTorch loop in the same call.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=7009
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 70 bun test --timeout 900000 test/dense.gpu.test.ts -t "w12_s2" > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head -5
F="dense_fwd_hd(128|64)_bm128_bn(192|128)_w12_s2_(bf16|fp16)_sm90a (N=77 GQA 28/4 batch 2|Nq=1000 Nk=77)"
for T in racecheck synccheck; do timeout 40 compute-sanitizer --tool $T --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts -t "$F" > $OUT/$T.log 2>&1; echo "$T:"; grep -E "SUMMARY|pass$|fail$" $OUT/$T.log | tail -3; done
S=1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128
timeout 60 python3 bench/peers.py --shapes $S --ceilings --out $OUT/peers.json > $OUT/peers.log 2>&1; echo "peers rc=$?"; grep -E "^sdpa|matmul" $OUT/peers.log | tail -13
timeout 120 bun run bench --sweep --ops dense,sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 5 --ceiling $OUT/peers.json --peers $OUT/peers.json --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$?"
grep -E "FAIL|failed" $OUT/sweep.log | tail -3; grep -E "dense D=128" $OUT/sweep.log | tail -3
timeout 20 bun run tuning $OUT/sweep.json --ops dense_fwd,sparse_fwd > $OUT/tuning.log 2>&1; echo "tuning rc=$?"
timeout 70 bun bench/sparse.ts --out $OUT/sparsed-sparse.json > $OUT/sparse.log 2>&1; echo "sparse rc=$?"
grep -E " dense |: selection|sparse.*(bn128_w12|bn192_w12)" $OUT/sparse.log | sed -E 's/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//' | cut -c1-150
timeout 90 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json > $OUT/peers-sparse.log 2>&1; echo "peers rc=$?"; grep -E "^  (flex|schedule)" $OUT/peers-sparse.log | head -8
cd $OUT && tar czf all.tgz *.json *.log sweep.csv && rm -f *.json sweep.csv tuning.log racecheck.log synccheck.log
