#!/usr/bin/env bash
# Flat in run length: peak RSS of a 1-minute and a 10-minute run at the same load
# (flat-1m.toml, flat-10m.toml: 200 shoppers, think 50 ms) against a separate shop.
# Usage: benches/flat.sh     (about 12 minutes)
. "$(dirname "$0")/lib.sh"
machine
SHOP_TIMEOUT=1200 start_shop
trap stop_shop EXIT
echo "# shop: $SHOP_URL; work dir: $WORK"
echo "run  requests errors cpu_s maxrss_KiB"
for d in 1m 10m; do
  out=$WORK/flat-$d
  /usr/bin/time -v timeout 900 "$BIN" run "$BENCHES/flat-$d.toml" --target "$SHOP_URL" \
    --out "$out" --seed 1 >"$out.out" 2>"$out.err" || true
  tail -n 30 "$out.err" > "$out.time"
  read -r req err < <(report_counts "$out/report.json")
  echo "$d $req $err $(time_cpu "$out.time") $(time_maxrss "$out.time")"
done
