#!/usr/bin/env bash
# Compares builds of stampede side by side (A B C A B C ...): requests per CPU-second
# on GET /healthz with 50 connections (rps.toml) and memory per idle shopper
# (idle-1.toml, idle-1000.toml), each against the same separate `stampede shop`.
# Usage: benches/builds.sh ROUNDS LABEL=/path/to/stampede [LABEL=/path ...]
. "$(dirname "$0")/lib.sh"
ROUNDS=$1; shift
machine
SHOP_TIMEOUT=3600 start_shop
trap stop_shop EXIT
echo "# shop: $SHOP_URL; work dir: $WORK"
printf "%-10s %2s %9s %7s %9s %9s %9s\n" build rd requests cpu_s req/cpu_s rss1_KiB KiB/shopper
for r in $(seq "$ROUNDS"); do
  for build in "$@"; do
    label=${build%%=*}; bin=${build#*=}
    out=$WORK/$label-r$r
    echo "# $(busy)"
    /usr/bin/time -v timeout 60 "$bin" run "$BENCHES/rps.toml" --target "$SHOP_URL" \
      --out "$out-rps" --seed 1 >"$out-rps.out" 2>"$out-rps.time" || true
    read -r req _ < <(report_counts "$out-rps/report.json")
    cpu=$(time_cpu "$out-rps.time")
    for n in 1 1000; do
      /usr/bin/time -v timeout 60 "$bin" run "$BENCHES/idle-$n.toml" --target "$SHOP_URL" \
        --out "$out-idle$n" --seed 1 >"$out-idle$n.out" 2>"$out-idle$n.time" || true
    done
    rss1=$(time_maxrss "$out-idle1.time"); rss1000=$(time_maxrss "$out-idle1000.time")
    printf "%-10s %2s %9s %7s %9.0f %9s %9.1f\n" "$label" "$r" "$req" "$cpu" \
      "$(echo "$req / $cpu" | bc -l)" "$rss1" "$(echo "($rss1000 - $rss1) / 1000" | bc -l)"
  done
done
