#!/bin/bash
# session 7, call 1: the persistent warp-specialized attention kernel (probe/pers) against the library's (.gpu/lib)
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
P=probe/pers; OLD=.gpu/lib
export SPARSED_TEST_SEED=7001
SPARSED_LIB_DIR=$P timeout 150 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|pass$|fail$" $OUT/test.log | head
F="hd128_bm128_bn128_w12_s2_bf16_sm90a (N=77 GQA 28/4 batch 2|N=1000 32/32|block 128 Nq=Nk=2049 GQA 28/4 keep 0.5|block 128 Nq=Nk=77 4/1 keep everything)|hd64_bm128_bn128_w12_s2_fp16_sm90a (N=77 GQA|Nq=1000 Nk=77|block 128 Nq=Nk=300)|an empty row"
SPARSED_LIB_DIR=$P timeout 90 compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$F" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|pass$|fail$" $OUT/race.log | tail -4
SPARSED_LIB_DIR=$P timeout 45 compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$F" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
SPARSED_LIB_DIR=$P timeout 45 compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$F" > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log | tail -3
for r in 1; do for L in $OLD $P; do
  SPARSED_TUNING=off SPARSED_LIB_DIR=$L timeout 45 bun bench/dense.ts --n 16384,65536 --d 64,128 --iterations 10 --all-variants --out $OUT/dense-$r-$(basename $L).json > $OUT/dense-$r-$(basename $L).log 2>&1
  echo "== dense run $r $L"; grep -E "sm90a" $OUT/dense-$r-$(basename $L).log | grep -v '^│' | head -12
done; done
for L in $OLD $P; do
  SPARSED_TUNING=off SPARSED_LIB_DIR=$L timeout 100 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse-$(basename $L).json > $OUT/sparse-$(basename $L).log 2>&1
  echo "== sparse $L"; grep -E " dense |sparse_fwd|w12_s2_bf16_sm90a:" $OUT/sparse-$(basename $L).log | head -12
done
cd $OUT && tar czf logs.tgz *.log *.json && rm -f *.json dense-*.log
