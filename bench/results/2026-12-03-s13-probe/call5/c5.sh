#!/bin/bash
# session 13, call 5: the shipped library against FlexAttention on the bench's random mask and on a band mask (query block i
# keeps the 52 / 154 blocks centred on i at 64k select 0.1 / 0.3: a K/V working set that fits L2), same call.
set -u
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib
for s in 0.1 0.3; do bun probe/band.ts 65536 $s /tmp/band-$s.json; done
for P in rand band; do PAT=$P DENSE=0 timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$P-1" 2>&1 | tee -a $OUT/tpad.log; done
timeout 150 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --reps 30 --out $OUT/flex-rand.json > $OUT/flex-rand.log 2>&1; echo "flex rand rc=$?"; grep -E "^  flex" $OUT/flex-rand.log
for s in 0.1 0.3; do timeout 100 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --pattern /tmp/band-$s.json --reps 30 --out $OUT/flex-band-$s.json > $OUT/flex-band-$s.log 2>&1; echo "flex band $s rc=$?"; grep -E "^  flex" $OUT/flex-band-$s.log; done
for P in rand band; do PAT=$P DENSE=0 timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$P-2" 2>&1 | tee -a $OUT/tpad.log; done
echo "total $((SECONDS - T0)) s"
