#!/bin/bash
# session 6, last call. On an H200: the select-only sweep (the H200 table's select entries are built from
# sweep-select.json), then selection against the dense call. On an H100: racecheck and synccheck of the
# w20 variants in the final library, and an ncu profile of w20 at 16k.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
if grep -q H200 $OUT/gpu.txt; then
  timeout 200 bun run bench --sweep --ops select --n 4096,16384,65536 --iterations 5 --out $OUT/sweep-select.json > $OUT/sweep-select.log 2>&1; echo "sweep rc=$?"
  grep -E "gate|FAIL" $OUT/sweep-select.log | tail -3; rm -f $OUT/sweep-select.csv
  SPARSED_TUNING=off timeout 90 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |selection select_hd128_bm128_bn128_w(12|20)"
else
  timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log
  timeout 60 compute-sanitizer --tool synccheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
  M=""
  for s in barrier long_scoreboard wait math_pipe_throttle mio_throttle short_scoreboard dispatch_stall no_instruction selected not_selected; do M="$M,smsp__average_warps_issue_stalled_${s}_per_issue_active.ratio"; done
  M="${M#,},sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__cycles_elapsed.avg"
  SPARSED_TUNING=off timeout 90 ncu --kernel-name select_ws_sm90_kernel --launch-count 1 --metrics "$M" bun bench/sparse.ts --n 16384 --select 0.3 --iterations 2 --out /tmp/x.json > $OUT/ncu.txt 2>&1
  grep -E "select_ws|stalled|pct|elapsed" $OUT/ncu.txt | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//; s/.avg.pct_of_peak_sustained_active//' | awk '{print $1, $NF}' | tr '\n' ';'; echo
fi
