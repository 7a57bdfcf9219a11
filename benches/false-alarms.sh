#!/usr/bin/env bash
# The compare false-alarm experiment (BENCHMARKS.md): PAIRS pairs of runs of the
# same configuration, each pair compared; prints the regressions each comparison
# flagged. Usage: benches/false-alarms.sh [PAIRS] [STAMPEDE]
# KNEE=1: a staircase up to and past the shop's knee (4 to 16 shoppers, 5-s holds;
# the shop serves ~400 requests/s, a shopper ~33), where a queue makes neighbouring
# requests alike; without it, 2 and 4 shoppers, far below it.
set -u
pairs=${1:-5}
bin=${2:-target/release/stampede}
dir=$(mktemp -d)
cat > "$dir/same.toml" <<'TOML'
name = "false-alarms"
[target]
base_url = "embedded"
workers = 4
service_time = "10ms"
queue = 1000
timeout = "2s"
[load]
@STAIRCASE@
[slo]
p95 = "500ms"
[[journey]]
name = "look"
weight = 1
think = "20ms"
steps = [{ name = "product", get = "/api/products/7" }, { name = "home", get = "/" }]
TOML
if [ "${KNEE:-0}" = 1 ]; then
  staircase='staircase = { start = 4, step = 4, max = 16, hold = "5s", ramp = "500ms", stop = "max" }'
else
  staircase='staircase = { start = 2, step = 2, max = 4, hold = "2s", ramp = "200ms", stop = "max" }'
fi
sed -i "s/@STAIRCASE@/$staircase/" "$dir/same.toml"
alarms=0
for i in $(seq 1 "$pairs"); do
  "$bin" run "$dir/same.toml" --out "$dir/base$i" --seed "$i" >/dev/null 2>&1
  "$bin" run "$dir/same.toml" --out "$dir/new$i" --seed "$i" >/dev/null 2>&1
  if "$bin" compare "$dir/base$i" "$dir/new$i" > "$dir/compare$i.txt"; then
    echo "pair $i: no significant regression"
  else
    alarms=$((alarms + 1))
    echo "pair $i: $(grep '^REGRESSION' "$dir/compare$i.txt")"
  fi
done
echo "false alarms: $alarms of $pairs pairs (comparisons in $dir)"
