#!/usr/bin/env bash
# Memory per idle shopper: peak RSS of `stampede run` for 1 (baseline), 1,000 and 10,000
# shoppers that each make one request and then think for 10 minutes (held ~15 s).
#   embedded: the demo shop runs inside the stampede process (both socket ends in one process)
#   external: `stampede shop` runs as a separate process, reached with --target
# Usage: benches/idle_memory.sh [rounds] [modes...]    (default: 1 round, embedded external)
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-1}; shift || true
MODES=${*:-embedded external}

# Runs one scenario under /usr/bin/time -v; 12 s in (mid-hold) samples the process's
# open fds, VmRSS and the established loopback connections it has.
run_one() { # mode n round [target]
  local mode=$1 n=$2 round=$3 target=${4:-} tag="$1-$2-r$3"
  local args=(run "$BENCHES/idle-$n.toml" --out "$WORK/$tag" --seed 1)
  [ -n "$target" ] && args+=(--target "$target")
  echo "\$ /usr/bin/time -v timeout 60 $BIN ${args[*]}" >"$WORK/$tag.cmd"
  /usr/bin/time -v -o "$WORK/$tag.time" timeout 60 "$BIN" "${args[@]}" >"$WORK/$tag.out" 2>"$WORK/$tag.err" &
  local tpid=$!
  sleep 12
  local pid; pid=$(pgrep -P "$(pgrep -P $tpid | head -n1)" | head -n1 || true)  # time -> timeout -> stampede
  local fds=- rss=- est=-
  if [ -n "$pid" ]; then
    fds=$(ls /proc/"$pid"/fd 2>/dev/null | wc -l)
    rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo -)
    est=$(ss -Htnp state established 2>/dev/null | grep -c "pid=$pid," || true)
  fi
  local rc=0; wait $tpid || rc=$?
  local counts="- -"; [ -f "$WORK/$tag/report.json" ] && counts=$(report_counts "$WORK/$tag/report.json")
  local warn; warn=$(grep -m1 -E '^(warning|error)' "$WORK/$tag.err" | cut -c1-160 || true)
  printf '%-9s %6d %2d %9s %10s %7s %9s %8s %7s %6s %3s  %s\n' "$mode" "$n" "$round" "$(time_maxrss "$WORK/$tag.time")" \
    "$rss" "$fds" "$est" $counts "$(time_cpu "$WORK/$tag.time")" "$rc" "$warn"
}

machine
echo "# work dir: $WORK"
printf '%-9s %6s %2s %9s %10s %7s %9s %8s %7s %6s %3s  %s\n' mode n rd maxrssKiB midRSS_KiB mid_fds mid_estab requests errors cpu_s rc stderr
for round in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    wait_quiet 60
    target=
    if [ "$mode" = external ]; then start_shop; target=$SHOP_URL; fi
    for n in 1 1000 10000; do
      run_one "$mode" "$n" "$round" "$target"
    done
    if [ "$mode" = external ]; then
      echo "# shop pid $SHOP_CHILD peak RSS (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$SHOP_CHILD/status) KiB"
      stop_shop
    fi
  done
done
echo "# per-shopper growth = (maxrss_N - maxrss_1) / N, in KiB; raw files in $WORK"
