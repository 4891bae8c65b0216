#!/usr/bin/env python3
"""bench-correlator: committed ingest rate and receipt-to-incident delay.

A load generator posts pre-built gzip NDJSON batches (a mix of flow, dns and
alert events of realistic size, ~1% of them alerts that the rules turn into
incidents) over loopback with two keep-alive connections. Two runs:
  ceiling: the correlator with no rules (HTTP + gunzip + parse + SQLite commit)
  full:    the correlator with the default rules (./rules) correlating
Figures: events/s committed (all batches answered 200 = committed with
synchronous=FULL), full as a ratio of the ceiling and of the 100k/s goal,
and the receipt -> incident commit delay p50/p99 from /api/v1/metrics."""
import argparse
import gzip
import http.client
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corrlib import Daemon, request  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def flow_id(seq):
    """A flow_id like the sensor's (sensor/flow/flow_key.c: a 51-bit hash of
    the flow key and start time): ids in order of arrival would make an index
    on flow_id look free, as it is not with real traffic."""
    return ((seq * 0x9E3779B97F4A7C15) % (1 << 64)) >> 13 or 1


def make_event(seq, sensor):
    base = {"timestamp": "2026-11-27T02:%02d:%02d.%06d+00:00" % (seq // 600000 % 60,
                                                                   seq // 10000 % 60, seq % 1000000),
            "flow_id": flow_id(seq), "in_iface": "eth0",
            "src_ip": "10.%d.%d.%d" % (seq % 7, seq % 200, seq % 250 + 1), "src_port": 40000 + seq % 20000,
            "dest_ip": "192.168.%d.%d" % (seq % 3, seq % 100 + 1), "proto": "TCP",
            "canh": {"id": "%s:%d" % (sensor, seq), "sensor": sensor, "seq": seq}}
    k = seq % 100
    if k == 0:
        base.update(event_type="alert", dest_port=445, alert={
            "action": "allowed", "gid": 1, "signature_id": 2001219, "rev": 20,
            "signature": "ET SCAN Potential SSH Scan", "category": "Attempted Information Leak",
            "severity": 1}, app_proto="ssh")
    elif k < 40:
        base.update(event_type="dns", dest_port=53, proto="UDP", dns={
            "type": "query", "id": seq % 65536, "rrname": "host%d.example.gov.vn" % (seq % 5000),
            "rrtype": "A", "tx_id": 0})
    else:
        base.update(event_type="flow", dest_port=443, app_proto="tls", flow={
            "pkts_toserver": 12, "pkts_toclient": 10, "bytes_toserver": 1830,
            "bytes_toclient": 7421, "start": base["timestamp"], "end": base["timestamp"],
            "age": 3, "state": "closed", "reason": "timeout", "alerted": False},
            ndpi={"app_protocol": "TLS.Google", "category": "Web"})
    return base


def build(nbatches, per, sensor):
    out = []
    seq = 1
    for _ in range(nbatches):
        lines = []
        for _ in range(per):
            lines.append(json.dumps(make_event(seq, sensor), separators=(",", ":")))
            seq += 1
        out.append(gzip.compress(("\n".join(lines) + "\n").encode(), 6))
    return out


def run(binary, rules, batches, per, token_holder):
    d = Daemon(binary, rules=rules)
    try:
        tok = d.token_of(d.cli("sensor", "add", "bench").stdout)
        d.cli("user", "add", "b", "viewer")
        vtok = d.token_of(d.cli("token", "create", "b").stdout)
        d.start()
        queue = list(range(len(batches)))
        lock = threading.Lock()
        errors = []

        def worker():
            c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=120)
            while True:
                with lock:
                    if not queue:
                        break
                    i = queue.pop(0)
                c.request("POST", "/api/v1/events", batches[i], {
                    "Authorization": "Bearer " + tok, "Content-Type": "application/x-ndjson",
                    "Content-Encoding": "gzip"})
                r = c.getresponse()
                body = r.read()
                if r.status != 200:
                    errors.append((r.status, body[:200]))
            c.close()

        t0 = time.time()
        ts = [threading.Thread(target=worker) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        secs = time.time() - t0
        if errors:
            raise SystemExit("bench: batches failed: %s" % errors[:3])
        with open("/proc/%d/stat" % d.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        n = d.count()
        _, m = request(d.url("/api/v1/metrics"), token=vtok)
        inc = d.count("SELECT count(*) FROM incidents")
        return n, secs, m, inc, cpu
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--per", type=int, default=5000)
    a = ap.parse_args()
    rules = os.path.join(TOP, "rules")
    if not os.path.isdir(rules):
        rules = os.path.join(TOP, "tests", "correlator", "rules")
    batches = build(a.batches, a.per, "bench")
    raw = a.batches * a.per
    with tempfile.TemporaryDirectory() as empty:
        n0, s0, _, _, cpu0 = run(a.bin, empty, batches, a.per, None)
    n1, s1, m, inc, cpu1 = run(a.bin, rules, batches, a.per, None)
    assert n0 == raw and n1 == raw, (n0, n1, raw)
    r0, r1 = n0 / s0, n1 / s1
    c = m["correlation"]
    print("bench correlator: %d events in %d gzip batches of %d, 2 loopback connections"
          % (raw, a.batches, a.per))
    print("  ceiling (no rules: HTTP+gunzip+parse+commit): %9.0f events/s wall, %9.0f per "
          "CPU-second of the correlator" % (r0, n0 / cpu0))
    print("  full (%d rules, %d incidents):%19.0f events/s committed wall, %9.0f per "
          "CPU-second = %.2f of ceiling, %.2f of the 100k/s-per-core goal"
          % (c["rules"], inc, r1, n1 / cpu1, (n1 / cpu1) / (n0 / cpu0), (n1 / cpu1) / 100000.0))
    print("  receipt -> incident commit: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
          "(%d batches with hits; goal p99 < 1000 ms)"
          % (c["delay_p50_us"] / 1000.0, c["delay_p99_us"] / 1000.0,
             c["delay_max_us"] / 1000.0, c["delay_samples"]))


if __name__ == "__main__":
    main()
