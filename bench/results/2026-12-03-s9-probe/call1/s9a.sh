#!/bin/bash
# session 9, call 1: half-precision exponentials in the warp-specialized selection's prompt tiles (h1) against the
# library's fp32 form (h0): timing (two alternating rounds), the patterns' differences at 16k / 64k, the select tests.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
for r in 1 2; do for P in h0 h1; do SPARSED_LIB_DIR=probe/$P timeout 60 bun probe/tsel.ts 16384,65536 10 "r$r $P" 2>&1 | grep -E "x$|rror" | sed 's/select_hd128_bm128_bn128_\(w[0-9]*\)_s[0-9]_bf16_sm90a/\1/'; done; done | tee $OUT/time.log
mkdir -p /tmp/pat; for P in h0 h1; do SPARSED_LIB_DIR=probe/$P timeout 60 bun probe/pat.ts 16384,65536 /tmp/pat $P 2>&1 | grep -i error; done
for N in 16384 65536; do for w in w12 w20; do bun probe/cmp.ts /tmp/pat/h0-$N-w20.bin /tmp/pat/h0-$N-$w.bin $N; bun probe/cmp.ts /tmp/pat/h0-$N-w20.bin /tmp/pat/h1-$N-$w.bin $N; done; done | tee $OUT/pat.log
for P in h1 h0; do SPARSED_LIB_DIR=probe/$P SPARSED_TEST_SEED=9001 timeout 120 bun test --timeout 900000 test/select.gpu.test.ts > $OUT/sel-$P.log 2>&1; echo "select tests $P rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sel-$P.log | head -6; done
for P in h0 h1; do echo "$P: $(grep -c 'rows differ' $OUT/sel-$P.log) cases, rows differing in total $(grep -oE '[0-9]+/[0-9]+ rows differ' $OUT/sel-$P.log | awk -F'[/ ]' '{d+=$1; n+=$2} END {print d "/" n}')"; done
cat $OUT/time.log
