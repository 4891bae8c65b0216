#!/usr/bin/env bash
# Stops the test node started by start.sh HOME_DIR: SIGTERM (a clean close)
# or, with -9, SIGKILL (a crash: the outage test uses it). Waits until the
# process is gone. Exit 0 also when no node was running.
#   usage: stop.sh [-9] HOME_DIR
set -uo pipefail
sig=TERM
if [ "${1:-}" = -9 ]; then sig=KILL; shift; fi
home=${1:?usage: stop.sh [-9] HOME_DIR}
pidf=$home/node.pid
[ -f "$pidf" ] || exit 0
pid=$(cat "$pidf")
if kill -0 "$pid" 2>/dev/null; then
  kill -s "$sig" "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -s KILL "$pid"; sleep 0.5; fi
fi
rm -f "$pidf" "$home/port.ready"
exit 0
