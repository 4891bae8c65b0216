#!/usr/bin/env python3
"""Integration suite `es-correlator`: the real canh-correlator shipping to the
real OpenSearch 2.19 test node (tests/opensearch) through its durable outbox
(correlator/ship/ship_outbox.c), fed by canh-sensor on corpus captures and
by generated batches POSTed to /api/v1/events.

Every check asks the node and the correlator's store: exact _count per
index equal to the events stored in canh.db (indices named from the event
time), an IP range and a CIDR query on src_ip equal to the same filter over
the stored rows, the node killed (-9) in the middle of a run and started
again with exact final counts, no canh.id held twice and ingest answered
throughout, a mapping conflict rejected alone and listed by
GET /api/v1/es/rejected with its reason, and one canh-incidents document
per incident version after a PATCH. Each case uses its own index names.
Ends with "N passed, N failed, N skipped".
"""
import argparse
import collections
import datetime
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "correlator"))
import test_es  # noqa: E402
from corrlib import Daemon, event, post_events, request  # noqa: E402
from test_es import Fail, Skip, check, count, counts_per_index, es  # noqa: E402

ARGS = None
CORPUS = os.path.join(TOP, "..", "shared", "corpus")


def daemon(tag, rules=None, extra=()):
    """A correlator shipping to the node, indices canh-events-<tag>-<day>
    and canh-incidents-<tag>; sensor s1 and a viewer and a responder."""
    sets = ["elasticsearch.enabled=yes", "elasticsearch.url=" + test_es.url(),
            "elasticsearch.index.events=canh-events-%s-%%Y.%%m.%%d" % tag,
            "elasticsearch.index.incidents=canh-incidents-%s" % tag,
            "elasticsearch.templates-dir=" + os.path.join(TOP, "deploy", "elasticsearch"),
            "elasticsearch.flush-interval=200", "elasticsearch.retry-max=1000"] + list(extra)
    kw = {"rules": rules} if rules else {}
    d = Daemon(ARGS.bin, sets=sets, **kw)
    d.sensor = d.token_of(d.cli("sensor", "add", "s1").stdout)
    d.cli("user", "add", "v", "viewer")
    d.viewer = d.token_of(d.cli("token", "create", "v").stdout)
    d.cli("user", "add", "r", "responder")
    d.responder = d.token_of(d.cli("token", "create", "r").stdout)
    return d.start()


def es_stats(d):
    st, body = request(d.url("/api/v1/es/stats"), token=d.viewer)
    check(st == 200, "GET /api/v1/es/stats: %s %s" % (st, body))
    return body


def drained(d, timeout=120):
    """Wait until the outbox is empty and nothing is in flight."""
    deadline = time.time() + timeout
    s = None
    while time.time() < deadline:
        s = es_stats(d)
        o, sh = s["outbox"], s["shipper"]
        if o["events_behind"] == 0 and o["versions_waiting"] == 0 and \
                sh["queued_docs"] == 0 and sh["inflight_docs"] == 0:
            return s
        time.sleep(0.3)
    raise Fail("the outbox did not drain in %ds: %s" % (timeout, s))


def day_index(prefix, ts):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return prefix + t.strftime("%Y.%m.%d")


def stored(d):
    """(canh_id, parsed event) of every stored event."""
    c = d.db()
    try:
        return [(r[0], json.loads(r[1])) for r in c.execute("SELECT canh_id, raw FROM events")]
    finally:
        c.close()


def expect_per_index(d, prefix):
    return dict(collections.Counter(day_index(prefix, e["timestamp"]) for _, e in stored(d)))


def no_duplicates(pattern):
    agg = es("POST", "/%s/_search" % pattern,
             {"size": 0, "aggs": {"d": {"terms": {"field": "canh.id", "min_doc_count": 2,
                                                  "size": 10}}}})
    check(agg["aggregations"]["d"]["buckets"] == [], "canh.id held twice: %s"
          % agg["aggregations"]["d"]["buckets"])


def gen(sensor, first, n, spoil=None):
    evs = []
    for seq in range(first, first + n):
        src = "10.%d.%d.%d" % (seq % 3, (seq // 7) % 256, 1 + seq % 250) if seq % 4 else \
              "192.168.%d.%d" % (seq % 256, 1 + seq % 200)
        e = event(sensor, seq, event_type="flow" if seq % 5 else "alert", src_ip=src,
                  dest_ip="203.0.113.%d" % (1 + seq % 250), src_port=1024 + seq % 60000,
                  dest_port=443, proto="TCP")
        # Two days, so two daily indices.
        e["timestamp"] = "2026-11-%02dT%02d:%02d:%02d.%06d+00:00" % (
            25 + seq % 2, seq // 3600 % 24, seq // 60 % 60, seq % 60, seq % 1000000)
        if spoil:
            spoil(seq, e)
        evs.append(e)
    return evs


# ---------------------------------------------------------------- cases
STATE = {}


def t_corpus_sensor_to_opensearch():
    pcaps = os.path.join(CORPUS, "pcaps")
    if not os.path.isdir(pcaps):
        raise Skip("../shared/corpus is absent")
    if not ARGS.sensor or not os.access(ARGS.sensor, os.X_OK):
        raise Skip("no canh-sensor binary")
    d = daemon("corpus", rules=os.path.join(TOP, "rules"))
    try:
        logdir = os.path.join(d.data, "sensor-log")
        os.makedirs(logdir)
        names = ["esnet-masscan-tcp-0-1000", "ndpi-synscan", "esnet-nmap-80-all",
                 "ndpi-dns_doh", "ndpi-443-chrome", "ndpi-http_ipv6"]
        for name in names:
            p = os.path.join(pcaps, name + ".pcap")
            if not os.path.exists(p):
                continue
            r = subprocess.run([ARGS.sensor, "-r", p, "-l", logdir, "--set", "sensor-id=s1",
                                "--set", "outputs.correlator.enabled=yes",
                                "--set", "outputs.correlator.url=" + d.url(""),
                                "--set", "outputs.correlator.token=" + d.sensor,
                                "--set", "outputs.correlator.spool-dir=" +
                                os.path.join(d.data, "spool")],
                               capture_output=True, text=True, timeout=300)
            check(r.returncode == 0, "canh-sensor on %s: %s" % (name, r.stderr[-1500:]))
        n = d.count()
        check(n > 2000, "only %d events stored" % n)
        s = drained(d)
        want = expect_per_index(d, "canh-events-corpus-")
        got = counts_per_index("canh-events-corpus-*")
        check(got == want, "counts per index:\n got %s\nwant %s" % (got, want))
        check(s["outbox"]["events_done"] == n and s["outbox"]["events_rejected"] == 0,
              "outbox: %s" % s["outbox"])
        no_duplicates("canh-events-corpus-*")
        # src_ip as an IP: a range and a CIDR query against the same filter
        # over the stored rows.
        evs = [e for _, e in stored(d)]
        ips = [ipaddress.ip_address(e["src_ip"]) for e in evs if "src_ip" in e]
        lo, hi = ipaddress.ip_address("172.16.0.0"), ipaddress.ip_address("172.31.255.255")
        want_r = sum(1 for a in ips if a.version == 4 and lo <= a <= hi)
        got_r = count("canh-events-corpus-*", {"range": {"src_ip": {"gte": str(lo), "lte": str(hi)}}})
        check(got_r == want_r and want_r > 0, "src_ip range: got %d want %d" % (got_r, want_r))
        net = ipaddress.ip_network("172.31.0.0/16")
        want_c = sum(1 for a in ips if a.version == 4 and a in net)
        got_c = count("canh-events-corpus-*", {"term": {"src_ip": str(net)}})
        check(got_c == want_c and want_c > 0, "src_ip CIDR: got %d want %d" % (got_c, want_c))
        # Incidents: every one the correlator opened has its latest version.
        c = d.db()
        incs = {r[0]: r[1] for r in c.execute("SELECT id, updated_us FROM incidents")}
        c.close()
        check(len(incs) > 0, "the corpus opened no incident")
        es("POST", "/canh-incidents-corpus/_refresh", ok=(200, 404))
        for iid, upd in incs.items():
            hit = es("GET", "/canh-incidents-corpus/_doc/%d:%d" % (iid, upd), ok=(200, 404))
            check(hit.get("found"), "incident %d version %d not in canh-incidents" % (iid, upd))
        print("  %d events in %d daily indices, src_ip range %d, CIDR %d, %d incidents"
              % (n, len(want), got_r, got_c, len(incs)))
    finally:
        d.close()


def t_outage_kill_restart():
    """The node is killed with -9 while the correlator ships; ingest goes on
    (every batch answered 200), and once the node is back the counts are
    exact with no duplicate."""
    d = daemon("outage", extra=["elasticsearch.batch-docs=250"])
    try:
        n, batch = 24000, 500
        evs = gen("s1", 0, n)
        landed, killed, slowest, seq = 0, False, 0.0, 0
        while seq < n:
            t0 = time.time()
            st, body = post_events(d, d.sensor, evs[seq:seq + batch], gz=True)
            slowest = max(slowest, time.time() - t0)
            check(st == 200 and body["accepted"] == batch, "ingest: %s %s" % (st, body))
            seq += batch
            if not killed:
                landed = count("canh-events-outage-*")
                if landed >= 1000:
                    test_es.node_stop(kill=True)
                    killed, killed_at = True, seq
                    print("  node killed (-9) with %d landed, %d stored" % (landed, seq), flush=True)
        check(killed, "everything was shipped before the node could be killed")
        s = es_stats(d)
        check(s["outbox"]["events_behind"] > 0, "nothing waits while the node is down: %s" % s)
        check(slowest < 5, "an ingest batch took %.1fs while the node was down" % slowest)
        test_es.node_start()
        s = drained(d, timeout=240)
        want = expect_per_index(d, "canh-events-outage-")
        check(sum(want.values()) == n, "stored %d of %d" % (sum(want.values()), n))
        got = counts_per_index("canh-events-outage-*")
        check(got == want, "after the outage: got %s want %s" % (got, want))
        no_duplicates("canh-events-outage-*")
        sh = s["shipper"]
        check(sh["request_failures"] > 0, "no failed request seen during the outage: %s" % sh)
        print("  %d stored after the kill; %d failed requests, %d item retries, %d answered 409; "
              "slowest ingest batch %.2fs" % (n - killed_at, sh["request_failures"], sh["retried"],
                                               sh["duplicates"], slowest))
    finally:
        d.close()


def t_mapping_conflict_rejected_alone():
    d = daemon("conflict")
    try:
        def spoil(seq, e):
            if seq == 37:
                e["dest_port"] = "not-a-port"  # the template maps an integer
        evs = gen("s1", 0, 100, spoil)
        st, body = post_events(d, d.sensor, evs)
        check(st == 200 and body["accepted"] == 100, "ingest: %s %s" % (st, body))
        s = drained(d)
        check(s["outbox"]["events_done"] == 99 and s["outbox"]["events_rejected"] == 1,
              "outbox: %s" % s["outbox"])
        got = sum(counts_per_index("canh-events-conflict-*").values())
        check(got == 99, "stored in OpenSearch: %d" % got)
        st, rej = request(d.url("/api/v1/es/rejected"), token=d.viewer)
        check(st == 200 and rej["total"] == 1, "rejected: %s %s" % (st, rej))
        r = rej["rejected"][0]
        check(r["id"] == "s1:37" and r["kind"] == "event", "rejected: %s" % r)
        check(r["reason"].startswith("400 ") and "mapper_parsing_exception" in r["reason"]
              and "dest_port" in r["reason"], "reason: %s" % r["reason"])
        check(r["index"] == day_index("canh-events-conflict-", evs[37]["timestamp"]), r)
        # The cursor is past the rejected row: a restart does not send it again.
        d.stop()
        d.start()
        time.sleep(1.5)
        s = es_stats(d)
        check(s["outbox"]["events_behind"] == 0 and s["shipper"]["added"] == 0,
              "after a restart: %s" % s)
        check(request(d.url("/api/v1/es/rejected?limit=0"), token=d.viewer)[0] == 400, "limit=0")
        print("  %s: %s" % (r["id"], r["reason"][:110]))
    finally:
        d.close()


def t_incident_versions():
    d = daemon("inc")
    try:
        alerts = [event("s1", i, src_ip="10.7.0.1", alert={"signature_id": 9000001, "severity": 1,
                                                           "signature": "TEST"}) for i in range(3)]
        check(post_events(d, d.sensor, alerts)[0] == 200, "ingest 1")
        drained(d)
        more = [event("s1", i, src_ip="10.7.0.1", alert={"signature_id": 9000001, "severity": 1,
                                                         "signature": "TEST"}) for i in range(3, 5)]
        check(post_events(d, d.sensor, more)[0] == 200, "ingest 2")
        drained(d)
        st, res = request(d.url("/api/v1/incidents"), token=d.viewer)
        check(st == 200 and res["total"] == 1, "incidents: %s" % res)
        iid = res["incidents"][0]["id"]
        time.sleep(0.01)
        st, _ = request(d.url("/api/v1/incidents/%d" % iid), "PATCH",
                        {"status": "acknowledged"}, d.responder)
        check(st == 200, "PATCH: %s" % st)
        drained(d)
        es("POST", "/canh-incidents-inc/_refresh")
        hits = es("POST", "/canh-incidents-inc/_search",
                  {"size": 100, "query": {"term": {"id": iid}}, "sort": [{"version": "asc"}]})
        docs = [(h["_id"], h["_source"]) for h in hits["hits"]["hits"]]
        check(len(docs) == 3, "one document per version (open, append, PATCH): %s"
              % [(i, s["status"], s["event_count"]) for i, s in docs])
        check(len(set(i for i, _ in docs)) == 3, "ids: %s" % [i for i, _ in docs])
        for i, s in docs:
            check(i == "%d:%d" % (iid, s["version"]), "_id %s vs version %s" % (i, s["version"]))
        check([s["status"] for _, s in docs] == ["new", "new", "acknowledged"],
              "statuses: %s" % [s["status"] for _, s in docs])
        check([s["event_count"] for _, s in docs] == [3, 5, 5],
              "event counts: %s" % [s["event_count"] for _, s in docs])
        check(docs[-1][1]["src"] == ["10.7.0.1"] and docs[-1][1]["sensors"] == ["s1"], docs[-1][1])
        c = d.db()
        upd = c.execute("SELECT updated_us FROM incidents WHERE id = ?", (iid,)).fetchone()[0]
        c.close()
        check(docs[-1][1]["version"] == upd, "latest version %s, store %s" % (docs[-1][1]["version"], upd))
        got = count("canh-incidents-inc", {"term": {"src": "10.7.0.0/24"}})
        check(got == 3, "versions by src CIDR: %d" % got)
        # The latest version of each incident, as users would ask.
        latest = es("POST", "/canh-incidents-inc/_search",
                    {"size": 10, "collapse": {"field": "id"}, "sort": [{"version": "desc"}]})
        check([h["_source"]["status"] for h in latest["hits"]["hits"]] == ["acknowledged"], latest)
    finally:
        d.close()


CASES = [t_corpus_sensor_to_opensearch, t_mapping_conflict_rejected_alone, t_incident_versions,
         t_outage_kill_restart]


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--node-dir", required=True)
    ap.add_argument("--sensor")
    ap.add_argument("--work", required=True)
    ap.add_argument("names", nargs="*")
    ARGS = ap.parse_args()
    shutil.rmtree(ARGS.work, ignore_errors=True)
    os.makedirs(ARGS.work)
    test_es.ARGS = argparse.Namespace(node_dir=ARGS.node_dir, work=ARGS.work)
    test_es.NODE["home"] = os.path.join(ARGS.work, "node")
    return test_es.run_cases(CASES, ARGS.names)


if __name__ == "__main__":
    sys.exit(main())
