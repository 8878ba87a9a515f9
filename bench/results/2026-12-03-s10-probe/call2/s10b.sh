#!/bin/bash
# session 10, call 2: kv2 (separate K and V copying threads) against base: timings (3 rounds), the sparse suite of kv2;
# ncu of base sparse bn128 at 64k select 0.1, H = 32 against H = 8 (L2 hit rate, DRAM bytes, tensor pipe, stalls).
set -u
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
SPARSED_LIB_DIR=probe/kv2 SPARSED_TEST_SEED=10201 timeout 120 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/kv2-tests.log 2>&1; echo "kv2 dense+sparse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/kv2-tests.log | head -6
SPARSED_LIB_DIR=probe/kv2 SPARSED_TEST_SEED=10202 timeout 70 compute-sanitizer --tool racecheck --print-limit 10 bun test --timeout 900000 test/sparse.gpu.test.ts test/dense.gpu.test.ts -t "(N=77 GQA|Nq=300 Nk=700|Nq=Nk=300|Nq=200 Nk=1000)" > $OUT/kv2-racecheck.log 2>&1; echo "kv2 racecheck rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/kv2-racecheck.log | tail -3
for R in 1 2 3; do for L in base kv2; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum,lts__t_sectors_srcunit_tex_op_read.sum,smsp__average_warp_latency_issue_stalled_long_scoreboard.ratio
for H in 32 8; do SPARSED_LIB_DIR=probe/base timeout 90 ncu --clock-control none -k regex:dense_ws --launch-skip 1 --launch-count 1 --metrics $M bun probe/one.ts 65536 $H 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a > $OUT/ncu-H$H.log 2>&1; echo "ncu H=$H rc=$?"; grep -E "lts__|dram__|tensor|duration|long_score" $OUT/ncu-H$H.log; done
SPARSED_LIB_DIR=probe/base timeout 90 ncu --clock-control none -k regex:dense_ws --launch-skip 1 --launch-count 1 --metrics $M bun probe/one.ts 65536 32 1 dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a > $OUT/ncu-dense.log 2>&1; echo "ncu dense rc=$?"; grep -E "lts__|dram__|tensor|duration|long_score" $OUT/ncu-dense.log
tar -C $OUT -czf $OUT/logs.tgz kv2-racecheck.log gpu.txt ncu-H32.log ncu-H8.log ncu-dense.log && rm -f $OUT/kv2-racecheck.log $OUT/gpu.txt $OUT/ncu-*.log
