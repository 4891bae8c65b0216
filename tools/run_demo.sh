#!/usr/bin/env bash
# run_demo.sh: the correlator half of `make run`. Starts canh-correlator on
# SQLite (build/run/correlator/canh.db, default rules from ./rules), bootstraps
# the demo sensor token and an admin token, runs canh-sensor on the demo
# capture shipping to it, then prints the incidents it opened and the API URL.
# On a terminal the correlator keeps running until Ctrl-C; otherwise (CI) it
# stops after the summary. Usage: tools/run_demo.sh [BUILD_DIR] [PCAP]
set -euo pipefail
B=${1:-build}
PCAP=${2:-$B/demo/demo.pcap}
RUN=$B/run
DATA=$RUN/correlator
rm -rf "$DATA" "$RUN/spool" "$RUN/sensor" && mkdir -p "$DATA" "$RUN/sensor"
"$B/canh-correlator" --set data-dir="$DATA" --demo-bootstrap >/dev/null
# shellcheck disable=SC1091
. "$DATA/demo-credentials"
# 8470 when free, else any free port.
PORT=8470
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then PORT=0; fi
"$B/canh-correlator" --set data-dir="$DATA" --set listen.port=$PORT --set rules-dir=rules \
  --port-file "$DATA/port" >"$DATA/correlator.out" 2>"$DATA/correlator.log" &
CPID=$!
trap 'kill $CPID 2>/dev/null; wait $CPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$DATA/port" ] && break; sleep 0.1; done
[ -s "$DATA/port" ] || { cat "$DATA/correlator.log"; exit 1; }
PORT=$(cat "$DATA/port")
URL=http://127.0.0.1:$PORT/api/v1
echo "run: canh-correlator on $URL (store $DATA/canh.db)"
echo "run: canh-sensor -r $PCAP -l $RUN/sensor, shipping to the correlator as sensor 'demo'"
SIGS=()
[ -f signatures/local.rules ] && SIGS=(-S signatures/local.rules)
"$B/canh-sensor" -r "$PCAP" -l "$RUN/sensor" "${SIGS[@]}" --set sensor-id=demo \
  --set outputs.correlator.enabled=yes --set outputs.correlator.url="http://127.0.0.1:$PORT" \
  --set outputs.correlator.token="$CANH_SENSOR_TOKEN" \
  --set outputs.correlator.spool-dir="$RUN/spool" 2>&1 | grep -v 'plain HTTP' || true
python3 tools/eve_summary.py "$RUN/sensor/eve.json"
python3 - "$URL" "$CANH_ADMIN_TOKEN" <<'PY'
import json, sys, urllib.request
url, tok = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + tok})
    return json.load(urllib.request.urlopen(req))
m = get("/metrics")
res = get("/incidents?limit=100")
print("run: %d events stored, %d incidents:" % (m["ingest"]["accepted"], res["total"]))
sev = {1: "high", 2: "medium", 3: "low", 4: "info"}
for i in sorted(res["incidents"], key=lambda i: (i["severity"], i["id"])):
    print("  #%-3d %-6s %-40s %-34s %5d events  %s" % (
        i["id"], sev.get(i["severity"], "?"), i["title"][:40], i["group_key"][:34],
        i["event_count"], ",".join(t for t in i["tags"] if t.startswith("attack.t"))))
PY
echo "run: portal http://127.0.0.1:$PORT/  (log in as admin, analyst1, responder1 or viewer1; passwords in $DATA/demo-credentials)"
echo "run: API $URL  (admin token in $DATA/demo-credentials), e.g."
echo "     curl -H \"Authorization: Bearer \$(grep ADMIN $DATA/demo-credentials | cut -d= -f2)\" $URL/incidents"
if [ -t 0 ]; then
  echo "run: correlator running (pid $CPID); Ctrl-C to stop"
  wait $CPID || true
fi
