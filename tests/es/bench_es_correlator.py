#!/usr/bin/env python3
"""bench-es-correlator: documents/s the correlator's outbox ships to the test
OpenSearch node, against plain curl `_bulk` of the same documents on the same
node (sequential, uncompressed, bodies prepared before the clock starts: the
node's ceiling). The events are first stored with shipping off, then the
correlator restarts with it on and the clock runs from start until the
outbox is drained; the count on the node is checked, so a fast run that lost
documents cannot pass. A warm-up of both goes first.
"""
import argparse
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "correlator"))
import bench_es  # noqa: E402
import test_es  # noqa: E402
from corrlib import Daemon, ndjson, post_events, request  # noqa: E402


def ship_run(binary, evs, tag, batch):
    sets = ["elasticsearch.url=" + test_es.url(),
            "elasticsearch.index.events=canh-events-%s-%%Y.%%m.%%d" % tag,
            "elasticsearch.index.incidents=canh-incidents-%s" % tag,
            "elasticsearch.templates-dir=" + os.path.join(TOP, "deploy", "elasticsearch"),
            "elasticsearch.batch-docs=%d" % batch, "elasticsearch.flush-interval=100"]
    d = Daemon(binary, sets=sets + ["elasticsearch.enabled=no"])
    try:
        tok = d.token_of(d.cli("sensor", "add", evs[0]["canh"]["sensor"]).stdout)
        d.cli("user", "add", "v", "viewer")
        vt = d.token_of(d.cli("token", "create", "v").stdout)
        d.start()
        for i in range(0, len(evs), 5000):
            st, body = post_events(d, tok, body=ndjson(evs[i:i + 5000]), gz=True)
            if st != 200:
                raise SystemExit("ingest: %s %s" % (st, body))
        d.stop()
        d.sets = sets + ["elasticsearch.enabled=yes"]
        t0 = time.time()
        d.start()
        while True:
            st, s = request(d.url("/api/v1/es/stats"), token=vt)
            o, sh = s["outbox"], s["shipper"]
            if o["events_behind"] == 0 and sh["queued_docs"] == 0 and sh["inflight_docs"] == 0:
                break
            if time.time() - t0 > 600:
                raise SystemExit("outbox not drained: %s" % s)
            time.sleep(0.05)
        el = time.time() - t0
        n = sum(test_es.counts_per_index("canh-events-%s-*" % tag).values())
        if n != len(evs) or o["events_done"] != len(evs):
            raise SystemExit("%s: stored %d, done %d of %d" % (tag, n, o["events_done"], len(evs)))
        return len(evs) / el, sh
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--node-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=2000)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    test_es.ARGS = argparse.Namespace(node_dir=a.node_dir, work=a.work)
    test_es.NODE["home"] = os.path.join(a.work, "node")
    _, evs = test_es.gen_events(os.path.join(a.work, "bench.ndjson"), "b", a.docs, seed=3)
    test_es.node_start()
    try:
        _, warm = test_es.gen_events(os.path.join(a.work, "warm.ndjson"), "w", 20000, seed=4)
        ship_run(a.bin, warm, "cwarm", a.batch)
        bench_es.curl_bulk(evs[:10000], "canh-events-cwarmcurl-", a.batch, a.work)
        el = bench_es.curl_bulk(evs, "canh-events-ccurl-", a.batch, a.work)
        n = sum(test_es.counts_per_index("canh-events-ccurl-*").values())
        if n != a.docs:
            raise SystemExit("curl run stored %d of %d" % (n, a.docs))
        base = a.docs / el
        rate, sh = ship_run(a.bin, evs, "cship", a.batch)
        print("es-correlator: %d EVE events, batches of %d, OpenSearch 2.19.6 single node on "
              "loopback" % (a.docs, a.batch))
        print("es-correlator: curl _bulk (plain, sequential)        %8.0f docs/s  (ceiling)" % base)
        print("es-correlator: correlator outbox -> ship_es (gzip)   %8.0f docs/s  ratio %.2f to curl"
              "  (%d requests, wire %.1fx smaller)"
              % (rate, rate / base, sh["requests"],
                 sh["bytes_raw"] / sh["bytes_sent"] if sh["bytes_sent"] else 0))
    finally:
        test_es.node_stop()


if __name__ == "__main__":
    main()
