#!/usr/bin/env bash
# Starts the test OpenSearch node (tests/opensearch, built by `make opensearch-node`)
# in the background with its data under HOME_DIR, waits until
# /_cluster/health is yellow or green, and prints the HTTP port on stdout.
# The same HOME_DIR again restarts the node on the data it had (and the
# same port when it is still free). Stop it with stop.sh HOME_DIR.
#   usage: start.sh HOME_DIR [NODE_DIR (default: build/opensearch)] [PORT]
set -euo pipefail
home=${1:?usage: start.sh HOME_DIR [NODE_DIR] [PORT]}
here=$(cd "$(dirname "$0")/../.." && pwd)
node_dir=${2:-$here/build/opensearch}
port=${3:-0}
cp_file=$node_dir/cp.txt
classes=$node_dir/classes
[ -s "$cp_file" ] && [ -d "$classes" ] || { echo "start.sh: $node_dir has no node; run make opensearch-node" >&2; exit 1; }
mkdir -p "$home"
home=$(cd "$home" && pwd)
if [ -f "$home/node.pid" ] && kill -0 "$(cat "$home/node.pid")" 2>/dev/null; then
  echo "start.sh: a node already runs on $home (pid $(cat "$home/node.pid"))" >&2; exit 1
fi
# Restart on the same port when none was asked for, so clients keep their URL.
if [ "$port" = 0 ] && [ -s "$home/port" ]; then port=$(cat "$home/port"); fi
rm -f "$home/port.ready"
# The classpath goes through an @argfile: 50-odd jars overflow nothing then.
printf -- '-cp\n%s\n' "$classes:$(cat "$cp_file")" > "$home/java.args"
java_opts=${CANH_OS_JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
# shellcheck disable=SC2086
setsid java $java_opts @"$home/java.args" org.canh.test.CanhTestNode \
  --home "$home" --port "$port" --port-file "$home/port.ready" \
  </dev/null >>"$home/node.log" 2>&1 &
pid=$!
echo "$pid" > "$home/node.pid"
deadline=$((SECONDS + ${CANH_OS_START_TIMEOUT:-180}))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: the node exited during start-up; last lines of $home/node.log:" >&2
    tail -n 30 "$home/node.log" >&2; rm -f "$home/node.pid"; exit 1
  fi
  if [ -s "$home/port.ready" ]; then
    p=$(cat "$home/port.ready")
    h=$(curl -s -m 5 "http://127.0.0.1:$p/_cluster/health?wait_for_status=yellow&timeout=5s" || true)
    case $h in *'"status":"green"'*|*'"status":"yellow"'*) echo "$p" > "$home/port"; echo "$p"; exit 0;; esac
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "start.sh: no healthy node after ${CANH_OS_START_TIMEOUT:-180}s; see $home/node.log" >&2
    kill "$pid" 2>/dev/null || true; exit 1
  fi
  sleep 0.5
done
