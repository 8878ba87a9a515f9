# Replace the select entries of tuning/<gpu>.json with those of a select-only sweep's table.
import json, os, sys
new_path = sys.argv[1]  # $OUT/tuning/<gpu>.json from `bench --sweep --ops select`
name = os.path.basename(new_path)
old = json.load(open(os.path.join("tuning", name)))
new = json.load(open(new_path))
keep = [e for e in old["entries"] if e["op"] != "select"]
sel = [e for e in new["entries"] if e["op"] == "select"]
old["entries"] = keep + sel
old["source"] = old.get("source", "") + "; select entries: " + new.get("source", "")
json.dump(old, open(os.path.join("tuning", name), "w"), indent=2)
print(f"{name}: {len(keep)} kept, {len(sel)} select entries from the sweep")
for e in sel: print(" ", e["headDim"], e["block"], e["nMin"], e["nMax"], e["variant"], round(e["ms"], 3))
