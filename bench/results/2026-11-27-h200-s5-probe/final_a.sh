#!/bin/bash
# session 5 final code, call A: the GPU suites, memcheck, racecheck, synccheck
set -u
SWEEP="tests racecheck synccheck" bash bench/gpu-sweep.sh 2>&1 | grep -v "^NVIDIA\|^name"
echo "== memcheck"
timeout 300 compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/*.gpu.test.ts > $OUT/memcheck.log 2>&1
echo "memcheck rc=$?"; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/memcheck.log | tail -4
