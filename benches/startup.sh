#!/usr/bin/env bash
# Startup: 10,000 shoppers due at the same instant against a separate `stampede shop`;
# prints how late their first requests went out (lag = sent - due), from report.json.
# Usage: benches/startup.sh [rounds]
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
machine
start_shop
trap stop_shop EXIT
echo "# shop: $SHOP_URL; work dir: $WORK"
echo "round requests errors lag_max_ms lag_p99_ms(1st s) cpu_s maxrss_KiB"
for r in $(seq "$ROUNDS"); do
  out=$WORK/startup-r$r
  /usr/bin/time -v timeout 60 "$BIN" run "$BENCHES/startup-10000.toml" --target "$SHOP_URL" \
    --out "$out" --seed 1 >"$out.out" 2>"$out.err" || true
  tail -n 30 "$out.err" > "$out.time"
  read -r req err < <(report_counts "$out/report.json")
  python3 - "$out/report.json" "$req" "$err" "$(time_cpu "$out.time")" "$(time_maxrss "$out.time")" "$r" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lvl = r["levels"][0]["generator"]
first = r["timeline"][0]
print(sys.argv[6], sys.argv[2], sys.argv[3], lvl["lag_max_ms"], first.get("lag_p99_ms"), sys.argv[4], sys.argv[5])
PY
done
