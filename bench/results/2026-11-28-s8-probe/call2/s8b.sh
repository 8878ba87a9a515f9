#!/bin/bash
# session 8, call 2: the w20 selection with a share of its exponentials on the FMA pipes (exp2_fma): probe/pgP holds
# the dense bn192 kernel and the w20 selection with P of every 8 column groups' exponentials polynomial (P = 0: the
# library's kernel). Two alternating rounds; the select GPU tests of P = 2, 3; then ncu of the dense and sparse calls
# at 64k (L2 hit rate, DRAM bytes: does the sparse kernel lose its 5-8% to L2 misses?).
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
for r in 1 2; do for P in 0 1 2 3 4; do SPARSED_LIB_DIR=probe/pg$P timeout 40 bun probe/tsel.ts 16384,65536 10 "r$r P$P" 2>&1 | grep -E "x$|rror" | sed 's/select_hd128_bm128_bn128_w20_s4_bf16_sm90a/w20/'; done; done | tee $OUT/tsel.log
for P in 2 3; do SPARSED_LIB_DIR=probe/pg$P SPARSED_TEST_SEED=8002 timeout 60 bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/sel$P.log 2>&1; echo "select tests P=$P rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sel$P.log | head -5; done
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib SPARSED_TUNING=off
M=gpu__time_duration.sum,dram__bytes_read.sum,lts__t_sector_hit_rate.pct,lts__t_sectors_srcunit_tex_op_read.sum,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active
for K in 'DenseWsSm90Config<\(int\)128, \(int\)192, sparsed::bf16_t, \(bool\)0>' 'DenseWsSm90Config<\(int\)128, \(int\)128, sparsed::bf16_t, \(bool\)1>' 'DenseWsSm90Config<\(int\)128, \(int\)192, sparsed::bf16_t, \(bool\)1>'; do
  for N in 16384 65536; do
  timeout 60 ncu --metrics $M -k "regex:$K" --kernel-name-base demangled -c 1 bun bench/sparse.ts --n $N --select 0.3 --iterations 1 --out /tmp/x.json > $OUT/ncu_k.log 2>&1
  echo "== N=$N $K"; grep -E "^    [a-z]" $OUT/ncu_k.log | head -8; cat $OUT/ncu_k.log >> $OUT/ncu_ds.txt; done
done
rm -f $OUT/ncu_k.log
