#!/usr/bin/env bash
# Runs each named suite (`make suite-NAME`), keeps its output under
# $B/test-logs/NAME.log, reads the suite's closing "N passed, N failed[, N skipped]"
# line and prints the totals the same way. A suite that exits non-zero
# without such a line counts as one failure. Exit status 1 when anything failed.
set -u
B=${B:-build}
MAKE=${MAKE:-make}
mkdir -p "$B/test-logs"
tp=0; tf=0; ts=0; bad=()
for s in "$@"; do
  log="$B/test-logs/$s.log"
  start=$(date +%s)
  $MAKE --no-print-directory -s "suite-$s" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  p=0; f=0; k=0
  if [ -n "$line" ]; then
    p=$(sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    k=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    [ -z "$k" ] && k=0
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + k))
  printf '%-28s %4d passed %3d failed %3d skipped  (%ds)\n' "$s" "$p" "$f" "$k" "$secs"
  grep -E '^skip ' "$log" | sed 's/^/    /'
  if [ "$f" -gt 0 ]; then
    bad+=("$s")
    echo "---- $log (last 40 lines) ----"; tail -n 40 "$log"; echo "----"
  fi
done
[ ${#bad[@]} -gt 0 ] && echo "failed suites: ${bad[*]}"
echo "total: $tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
