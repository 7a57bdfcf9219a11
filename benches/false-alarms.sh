#!/usr/bin/env bash
# The compare false-alarm experiment (BENCHMARKS.md): PAIRS pairs of runs of the
# same configuration, each pair compared; prints the regressions each comparison
# flagged. Usage: bench/false-alarms.sh [PAIRS] [STAMPEDE]
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
staircase = { start = 2, step = 2, max = 4, hold = "2s", ramp = "200ms", stop = "max" }
[slo]
p95 = "500ms"
[[journey]]
name = "look"
weight = 1
think = "20ms"
steps = [{ name = "product", get = "/api/products/7" }, { name = "home", get = "/" }]
TOML
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
