#!/usr/bin/env bash
# Generator requests per CPU-second on a trivial endpoint (GET /healthz), 50 connections:
#   A = stampede run benches/rps.toml --target URL   (50 shoppers, no think, 1 s ramp + 10 s hold)
#   B = wrk -t1 -c50 -d10s URL/healthz
# alternating A B A B ..., both under /usr/bin/time -v. CPU = user+sys of the generator
# process alone; the shop (`stampede shop`, 1024 workers, 0 ms service time) is a separate process that
# shares the same 2 cores, and its CPU during each run is printed too.
# Before each run it waits (at most 60 s) until no other process uses >10% CPU, and
# prints the load and whatever was still busy.
# Usage: benches/rps.sh [rounds]    (default 2)
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-2}
command -v wrk >/dev/null || echo "# wrk not installed: B runs are skipped"

shop_ticks() { awk '{print $14 + $15}' /proc/"$SHOP_CHILD"/stat; }   # utime+stime, clock ticks
HZ=$(getconf CLK_TCK)

row() { # tool round requests timefile shop_ticks_before
  local cpu wall shop_cpu
  cpu=$(time_cpu "$4")
  wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); print a[n-1]*60+a[n]}' "$4")
  shop_cpu=$(awk -v a="$5" -v b="$(shop_ticks)" -v hz="$HZ" 'BEGIN {printf "%.2f", (b-a)/hz}')
  printf '%-8s %2d %9d %6s %6s %6.2f %6s %10.0f %9.0f\n' "$1" "$2" "$3" "$(time_user "$4")" "$(time_sys "$4")" \
    "$wall" "$shop_cpu" "$(awk -v r="$3" -v c="$cpu" 'BEGIN {print r/c}')" "$(awk -v r="$3" -v w="$wall" 'BEGIN {print r/w}')"
}

machine
start_shop
trap stop_shop EXIT
echo "# shop: $SHOP_URL (pid $SHOP_CHILD); work dir: $WORK"
echo "# A: /usr/bin/time -v timeout 60 $BIN run $BENCHES/rps.toml --target $SHOP_URL --out DIR --seed 1"
echo "# B: /usr/bin/time -v timeout 30 wrk -t1 -c50 -d10s $SHOP_URL/healthz"
printf '%-8s %2s %9s %6s %6s %6s %6s %10s %9s\n' tool rd requests user_s sys_s wall_s shop_s req/cpu_s req/wall_s
for round in $(seq "$ROUNDS"); do
  wait_quiet 60
  t0=$(shop_ticks)
  /usr/bin/time -v -o "$WORK/A$round.time" timeout 60 "$BIN" run "$BENCHES/rps.toml" --target "$SHOP_URL" \
    --out "$WORK/A$round" --seed 1 >"$WORK/A$round.out" 2>"$WORK/A$round.err"
  read -r req err < <(report_counts "$WORK/A$round/report.json")
  row stampede "$round" "$req" "$WORK/A$round.time" "$t0"
  [ "$err" = 0 ] || echo "#   stampede errors: $err"
  if command -v wrk >/dev/null; then
    wait_quiet 60
    t0=$(shop_ticks)
    /usr/bin/time -v -o "$WORK/B$round.time" timeout 30 wrk -t1 -c50 -d10s "$SHOP_URL/healthz" >"$WORK/B$round.out" 2>&1
    req=$(awk '/requests in/ {print $1}' "$WORK/B$round.out")
    row wrk "$round" "$req" "$WORK/B$round.time" "$t0"
    grep -q 'Non-2xx\|Socket errors' "$WORK/B$round.out" && grep 'Non-2xx\|Socket errors' "$WORK/B$round.out" | sed 's/^/#   wrk: /'
  fi
done
true
