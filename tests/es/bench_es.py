#!/usr/bin/env python3
"""bench-opensearch: documents/s that correlator/ship (ship_es, through
es_drive) delivers to the test OpenSearch node, against the ceiling of the
same node: plain curl `_bulk` of the same documents in batches of the same
size (uncompressed, one curl per batch, bodies prepared before the clock
starts). Every run writes fresh indices (no 409 shortcut) and its count is
checked, so a fast run that lost documents cannot pass. A warm-up run goes
first, so the JIT does not favour whichever comes later.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import test_es  # noqa: E402


def curl_bulk(evs, prefix, batch, work):
    files = []
    for i in range(0, len(evs), batch):
        path = os.path.join(work, "curl-%05d.ndjson" % (i // batch))
        with open(path, "w") as f:
            for e in evs[i:i + batch]:
                ix = prefix + e["timestamp"][:10].replace("-", ".")
                f.write('{"create":{"_index":"%s","_id":"%s"}}\n' % (ix, e["canh"]["id"]))
                f.write(json.dumps(e, separators=(",", ":")) + "\n")
        files.append(path)
    t0 = time.time()
    for p in files:
        out = subprocess.run(["curl", "-s", "-f", "-H", "Content-Type: application/x-ndjson",
                              "--data-binary", "@" + p,
                              test_es.url("/_bulk?filter_path=errors")],
                             capture_output=True, text=True)
        if out.returncode != 0 or '"errors":false' not in out.stdout:
            raise SystemExit("curl _bulk failed: %s %s" % (out.returncode, out.stdout[:300]))
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--drive", required=True)
    ap.add_argument("--node-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=2000)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    test_es.ARGS = argparse.Namespace(drive=a.drive, node_dir=a.node_dir, work=a.work,
                                      templates=os.path.join(TOP, "deploy/elasticsearch"))
    test_es.NODE["home"] = os.path.join(a.work, "node")
    inp = os.path.join(a.work, "bench.ndjson")
    _, evs = test_es.gen_events(inp, "b", a.docs, seed=3)
    size = os.path.getsize(inp)
    test_es.node_start()
    try:
        warm = os.path.join(a.work, "warm.ndjson")
        test_es.gen_events(warm, "w", min(a.docs, 20000), seed=4)
        test_es.drive(warm, "canh-events-warm-%Y.%m.%d", ["--batch-docs", str(a.batch)])
        curl_bulk(evs[:10000], "canh-events-warmcurl-", a.batch, a.work)

        el = curl_bulk(evs, "canh-events-curl-", a.batch, a.work)
        n = sum(test_es.counts_per_index("canh-events-curl-*").values())
        if n != a.docs:
            raise SystemExit("curl run stored %d of %d" % (n, a.docs))
        base = a.docs / el
        print("opensearch: %d EVE documents (%.1f MB NDJSON), batches of %d, OpenSearch 2.19.6 "
              "single node on loopback" % (a.docs, size / 1e6, a.batch))
        print("opensearch: curl _bulk (plain, sequential)      %8.0f docs/s  (ceiling)" % base)
        runs = [("ship_es gzip, 1 in flight", "a", []),
                ("ship_es no gzip, 1 in flight", "b", ["--no-gzip"]),
                ("ship_es gzip, 2 in flight", "c", ["--inflight", "2"])]
        for label, tag, extra in runs:
            r, _ = test_es.drive(inp, "canh-events-%s-%%Y.%%m.%%d" % tag,
                                 ["--batch-docs", str(a.batch)] + extra)
            n = sum(test_es.counts_per_index("canh-events-%s-*" % tag).values())
            if r["done"] != a.docs or n != a.docs:
                raise SystemExit("%s: done %d, stored %d of %d" % (label, r["done"], n, a.docs))
            ratio = r["bytes_raw"] / r["bytes_sent"] if r["bytes_sent"] else 0
            print("opensearch: %-32s %8.0f docs/s  ratio %.2f to curl  (wire %.1fx smaller)"
                  % (label, r["docs_per_s"], r["docs_per_s"] / base, ratio))
    finally:
        test_es.node_stop()


if __name__ == "__main__":
    main()
