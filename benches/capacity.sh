#!/usr/bin/env bash
# A capacity search against a staircase of the same resolution, side by side:
# wall time to the answer, and the answer. Both against the embedded shop with a
# known capacity (capacity-*.toml: X = 100 req/s, resolution 2.5 arrivals/s).
# Usage: benches/capacity.sh [rounds]     (about 4 minutes a round)
. "$(dirname "$0")/lib.sh"
rounds=${1:-1}
machine
echo "run        rd wall_s levels answer"
for rd in $(seq "$rounds"); do
  for kind in search staircase; do
    out=$WORK/$kind-$rd
    start=$(date +%s.%N)
    timeout 900 "$BIN" run "$BENCHES/capacity-$kind.toml" --out "$out" --seed "$rd" \
      >"$out.out" 2>"$out.err" || true
    end=$(date +%s.%N)
    python3 - "$out/report.json" "$kind" "$rd" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
kind, rd, wall = sys.argv[2], sys.argv[3], float(sys.argv[5]) - float(sys.argv[4])
s = r.get("capacity_search")
if s:
    answer = f'capacity {s.get("capacity")} (interval {s.get("low")}..{s.get("high")})'
else:
    lg, bp = r.get("last_good"), r.get("breaking_point")
    answer = f'last good {lg and lg["load"]}, breaking point {bp and bp["load"]}'
print(f"{kind:<10} {rd:>2} {wall:6.1f} {len(r['levels']):>6} {answer}")
PY
  done
done
