#!/usr/bin/env bash
# Performance regression guard: requests per generator CPU-second of the current build
# against an earlier one (the previous release), on the same journeys, A B A B, against
# one separate `stampede shop`. Fails (exit 1) when the current build is slower on a
# journey by more than the noise the rounds themselves show.
#
# Usage: benches/guard.sh [BASE] [ROUNDS]
#   BASE    a git tag or commit to build (default: the latest tag reachable from HEAD);
#           BASE_BIN=/path/to/stampede uses that binary instead of building one
#   ROUNDS  A B rounds per journey (default 4)
# Env: TOLERANCE (least drop counted as a regression, default 0.05 = 5%),
#      GUARD_TARGET (cargo target dir for the BASE build, default $WORK/target; a
#      persistent one makes later builds incremental), WORK, QUIET_WAIT (s, default 20).
#
# Journeys (the scenario files of the current tree, for both builds):
#   rps     benches/rps.toml: 50 shoppers, GET /healthz, no think time
#   journey benches/peers/journey.toml: the five-step buyer journey
#   browse  benches/peers/browse.toml: the six-step journey with combinator selectors
# A journey the BASE build cannot run (a scenario key it does not know) is skipped, and
# said so.
#
# The verdict, per journey: r = median over rounds of (current / base) req/cpu_s, each
# round's pair run back to back. noise = the larger relative spread (max - min) / median
# of either build's own rounds. A regression is r < 1 - max(TOLERANCE, noise). With
# valgrind on PATH, also the checks' and extractions' user-space instructions per request
# (callgrind, journey and browse, one 5-s run per build): above 1.02 x the base's is a
# regression too — steady where the timing is not. Exit 0: no regression; 1: a
# regression; 2: usage; 3: a build or the shop failed.
# Not part of .ci/run: it needs a quiet machine and minutes, not seconds.
. "$(dirname "$0")/lib.sh"
BASE=${1:-$(git -C "$ROOT" describe --tags --abbrev=0 2>/dev/null || true)}
ROUNDS=${2:-4}
TOLERANCE=${TOLERANCE:-0.05}
QUIET_WAIT=${QUIET_WAIT:-20}
if [ -z "${BASE_BIN:-}" ] && [ -z "$BASE" ]; then
  echo "usage: $0 [TAG|COMMIT] [ROUNDS] (no tag found: name the previous release's commit, or set BASE_BIN)" >&2
  exit 2
fi

# The base build: BASE_BIN, or BASE exported with `git archive` and built in release.
if [ -n "${BASE_BIN:-}" ]; then
  OLD=$BASE_BIN
  BASE=${BASE:-$BASE_BIN}
else
  src=$WORK/base-src
  rm -rf "$src" && mkdir -p "$src"
  git -C "$ROOT" archive "$BASE" | tar -x -C "$src" || { echo "cannot export $BASE" >&2; exit 3; }
  echo "# building $BASE ($(git -C "$ROOT" rev-parse --short "$BASE")) in $src"
  (cd "$src" && CARGO_TARGET_DIR=${GUARD_TARGET:-$WORK/target} nice cargo build --release --quiet) ||
    { echo "the build of $BASE failed" >&2; exit 3; }
  OLD=$WORK/stampede-base
  cp "${GUARD_TARGET:-$WORK/target}/release/stampede" "$OLD"
fi
# The current build: this tree, copied so that a later `cargo build` cannot swap it mid-run.
(cd "$ROOT" && cargo build --release --quiet) || { echo "the current build failed" >&2; exit 3; }
NEW=$WORK/stampede-current
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/stampede" "$NEW"   # where cargo put it
[ -x "$OLD" ] || { echo "no base binary at $OLD" >&2; exit 3; }

machine
echo "# base: $BASE = $OLD ($("$OLD" --version)); current: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +changes) = $NEW"
BIN=$NEW SHOP_TIMEOUT=3600 start_shop
trap stop_shop EXIT
echo "# shop: $SHOP_URL (pid $SHOP_CHILD); work dir: $WORK"

JOURNEYS=(rps:rps.toml journey:peers/journey.toml browse:peers/browse.toml)
RESULTS=$WORK/guard.tsv
: >"$RESULTS"
printf '%-8s %-8s %2s %9s %7s %9s %s\n' journey build rd requests cpu_s req/cpu_s busy
for spec in "${JOURNEYS[@]}"; do
  name=${spec%%:*}; toml=$BENCHES/${spec#*:}
  if ! "$OLD" validate "$toml" >/dev/null 2>&1; then
    echo "# $name: the base build cannot read $toml: skipped"
    continue
  fi
  for round in $(seq "$ROUNDS"); do
    for build in base current; do
      bin=$OLD; [ $build = base ] || bin=$NEW
      out=$WORK/$name-$round-$build
      b=$(wait_quiet "$QUIET_WAIT"); b=${b##*busy: }
      set +e
      /usr/bin/time -v -o "$out.time" timeout 60 "$bin" run "$toml" --target "$SHOP_URL" --out "$out" \
        --seed 1 --force >"$out.out" 2>"$out.err"
      rc=$?
      set -e
      read -r req err < <(report_counts "$out/report.json" 2>/dev/null || echo "0 ?")
      cpu=$(time_cpu "$out.time")
      rate=$(awk -v r="$req" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0 ? r / c : 0)}')
      printf '%-8s %-8s %2d %9d %7s %9s %s\n' "$name" "$build" "$round" "$req" "$cpu" "$rate" "$b"
      if [ "$rc" != 0 ] || [ "$err" != 0 ]; then
        echo "# $name $build round $round: exit $rc, errors $err (see $out.out): a failed run is no measurement" >&2
        exit 3
      fi
      printf '%s\t%s\t%s\t%s\n' "$name" "$build" "$round" "$rate" >>"$RESULTS"
    done
  done
done

# The checks and extractions, counted: user-space instructions per request inside
# `Judge::judge` (status, body and JSON checks, CSS/JSON/regex extraction) under callgrind,
# one short run per build and journey. The answers are the same bytes for both builds, so
# the count is steady to a few parts in 10,000 where the timing's noise is 10-30%.
# Skipped without valgrind (apt-get install valgrind) or when a build's checks are not
# found under that name (nothing counted).
COUNTS=$WORK/guard-instructions.tsv
: >"$COUNTS"
if command -v valgrind >/dev/null; then
  for spec in journey:peers/journey.toml browse:peers/browse.toml; do
    name=${spec%%:*}; toml=$BENCHES/${spec#*:}
    "$OLD" validate "$toml" >/dev/null 2>&1 || continue
    for build in base current; do
      bin=$OLD; [ $build = base ] || bin=$NEW
      out=$WORK/$name-callgrind-$build
      timeout 300 valgrind --tool=callgrind --collect-atstart=no \
        '--toggle-collect=stampede::driver::answer::Judge::judge*' \
        --callgrind-out-file="$out.callgrind" "$bin" run "$toml" --target "$SHOP_URL" \
        --out "$out" --seed 1 --force --no-preflight \
        --load 'stages = [ { ramp_to = 10, over = "1s" }, { hold = "4s" } ]' >"$out.out" 2>"$out.err" || true
      read -r req _ < <(report_counts "$out/report.json" 2>/dev/null || echo "0 ?")
      ir=$(grep -o 'Collected : [0-9]*' "$out.err" | grep -o '[0-9]*$' || echo 0)
      printf '%s\t%s\t%s\t%s\n' "$name" "$build" "$req" "${ir:-0}" >>"$COUNTS"
    done
  done
else
  echo "# valgrind not found: the instruction counts are skipped"
fi

python3 - "$RESULTS" "$TOLERANCE" "$COUNTS" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
tolerance = float(sys.argv[2])
worst = 0
for name in dict.fromkeys(r[0] for r in rows):
    rate = {(b, int(rd)): float(v) for n, b, rd, v in rows if n == name}
    rounds = sorted({rd for _, rd in rate})
    base = [rate["base", rd] for rd in rounds]
    cur = [rate["current", rd] for rd in rounds]
    ratio = statistics.median(c / b for c, b in zip(cur, base))
    spread = lambda v: (max(v) - min(v)) / statistics.median(v)
    noise = max(spread(base), spread(cur))
    bar = 1 - max(tolerance, noise)
    verdict = "REGRESSION" if ratio < bar else "ok"
    worst |= ratio < bar
    print("# %-8s current/base %.3f (per round: %s); noise %.1f%%; fails below %.3f: %s" % (
        name, ratio, " ".join("%.2f" % (c / b) for c, b in zip(cur, base)), 100 * noise, bar, verdict))
# Instructions per request in the checks: more than 2% above the base's is a regression.
counts = {}
for line in open(sys.argv[3]).read().splitlines():
    name, build, req, ir = line.split("\t")
    counts.setdefault(name, {})[build] = (int(req), int(ir))
for name, both in counts.items():
    per = {b: ir / req for b, (req, ir) in both.items() if req > 0 and ir > 0}
    if len(per) < 2:
        print("# %-8s checks' instructions per request: not counted (%s)" % (
            name, ", ".join("%s %d requests, %d instructions" % (b, *both[b]) for b in both)))
        continue
    ratio = per["current"] / per["base"]
    verdict = "REGRESSION" if ratio > 1.02 else "ok"
    worst |= ratio > 1.02
    print("# %-8s checks' instructions per request: base %.0f, current %.0f, current/base %.3f; fails above 1.020: %s" % (
        name, per["base"], per["current"], ratio, verdict))
sys.exit(1 if worst else 0)
PY
