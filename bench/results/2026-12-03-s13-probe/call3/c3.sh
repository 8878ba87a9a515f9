#!/bin/bash
# session 13, call 3 (a question): how much does the random pattern's L2 / DRAM traffic cost at the power cap? The shipped
# library on three patterns with the same 52 kept blocks a row at 64k select 0.1 (154 at 0.3): rand (the
# bench's), same (every row of a head keeps row 0's blocks: K/V working set 3.3 MB a head), band (query block i keeps the
# blocks centred on i). Three rounds, then ncu (DRAM bytes, L2 hit rate) of each at select 0.1, and clocks / power.
set -u
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_LIB_DIR=.gpu/lib
for r in 1 2 3; do for P in rand same band; do PAT=$P DENSE=$([ $P = rand ] && echo 1 || echo 0) timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$P-$r" 2>&1 | tee -a $OUT/tpad.log; done; echo "round $r at $((SECONDS - T0)) s"; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,gpu__time_duration.sum
for P in rand same band; do PAT=$P DENSE=0 timeout 90 ncu --metrics $M --kernel-name-base mangled --kernel-name regex:Lb1E --launch-skip 3 --launch-count 1 bun probe/tpad.ts 65536 0.1 1 "ncu-$P" > $OUT/ncu-$P.log 2>&1; echo "ncu $P rc=$?"; grep -E "lts__|dram__|gpu__time|ERR" $OUT/ncu-$P.log; done
for P in rand same; do nvidia-smi --query-gpu=timestamp,power.draw,clocks.sm,temperature.gpu,clocks_event_reasons.active --format=csv,noheader -lms 100 > $OUT/smi-$P.txt & S=$!; PAT=$P DENSE=0 timeout 60 bun probe/tpad.ts 65536 0.1 400 "smi-$P" 2>&1 | tee -a $OUT/tpad.log; kill $S; python3 -c "
import statistics as st,sys
r=[l.split(', ') for l in open('$OUT/smi-$P.txt')][-35:-8]
print('$P', 'W', st.median(float(x[1].split()[0]) for x in r), 'MHz', st.median(float(x[2].split()[0]) for x in r))"; done
echo "total $((SECONDS - T0)) s"
python3 - <<'PY'
import re,os,collections,statistics as st
d=collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(os.environ['OUT']+'/tpad.log'):
    m=re.match(r"(\w+)-\d N=\d+: (.*)",l)
    if not m: continue
    for k,v in re.findall(r"(\S+) ([\d.]+)",m.group(2)): d[m.group(1)][k].append(float(v))
base=d['rand']
for L,row in d.items():
    print(f"{L:5} " + "  ".join(f"{k} {st.median(row[k]):8.3f} {100*(st.median(row[k])/st.median(base[k])-1):+5.1f}% ({max(row[k])-min(row[k]):4.2f})" for k in row))
PY
