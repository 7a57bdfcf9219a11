# Shared helpers for the stampede benchmarks. Source it: `. "$(dirname "$0")/lib.sh"`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STAMPEDE:-$ROOT/target/release/stampede}
BENCHES=$ROOT/benches
WORK=${WORK:-$(mktemp -d /tmp/stampede-bench.XXXXXX)}; mkdir -p "$WORK"

[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release" >&2; exit 2; }

# One line saying when and where: date, cores, kernel, load.
machine() {
  echo "# $(date) | nproc=$(nproc) | kernel $(uname -r) | $(uptime | sed 's/.*load/load/')"
}

# Field from `/usr/bin/time -v` output file: maxrss KiB, or user+sys seconds.
time_maxrss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
time_cpu()    { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$1"; }
time_user()   { awk -F': ' '/User time/ {print $2}' "$1"; }
time_sys()    { awk -F': ' '/System time/ {print $2}' "$1"; }

# "requests errors" from a report.json: levels[] + ramp_requests; errors from the timeline.
report_counts() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
req = sum(l["requests"] for l in r["levels"]) + r.get("ramp_requests", 0)
err = sum(t["errors"] for t in r.get("timeline", []))
print(req, err)
PY
}

# Start `stampede shop` (under `timeout`, $SHOP_TIMEOUT s, default 900) with a trivial endpoint;
# sets SHOP_PID, SHOP_CHILD, SHOP_URL.
start_shop() {
  local log=$WORK/shop.out
  timeout "${SHOP_TIMEOUT:-900}" "$BIN" shop --port 0 --workers 1024 --service-time 0ms --queue 20000 >"$log" 2>"$WORK/shop.err" &
  SHOP_PID=$!
  for _ in $(seq 50); do
    SHOP_URL=$(head -n1 "$log" 2>/dev/null | grep -o 'http://[^ ]*' || true)
    [ -n "$SHOP_URL" ] && break
    sleep 0.1
  done
  [ -n "$SHOP_URL" ] || { echo "shop did not start" >&2; cat "$WORK/shop.err" >&2; exit 3; }
  SHOP_CHILD=$(pgrep -P "$SHOP_PID" | head -n1)   # the shop itself (SHOP_PID is `timeout`)
}

stop_shop() {
  [ -n "${SHOP_PID:-}" ] || return 0
  kill -TERM "$SHOP_PID" 2>/dev/null || true
  wait "$SHOP_PID" 2>/dev/null || true
  SHOP_PID=
}

# Other processes using >10% CPU over the last second ("-" when none), as "pid:comm:%cpu".
busy() {
  local b
  b=$(top -bn2 -d1 -w 200 | awk '/^top -/ {n++} n==2 && $1 ~ /^[0-9]+$/ && $9+0 > 10 {printf "%s:%s:%s ", $1, $12, $9}')
  echo "${b:--}"
}

# Wait (at most $1 seconds, default 60) until no other process is busy; print what was seen.
wait_quiet() {
  local deadline=$((SECONDS + ${1:-60})) b
  while b=$(busy); [ "$b" != "-" ] && [ $SECONDS -lt $deadline ]; do sleep 2; done
  echo "# $(uptime | sed 's/.*load/load/') | busy: $b"
}
