#!/usr/bin/env python3
"""Integration suite `opensearch`: correlator/ship (ship_es) against a real
OpenSearch 2.19 node (tests/opensearch, started here on a loopback port and
stopped at the end, whatever happens).

es_drive (tests/es/es_drive.c, which links ship_es) installs the index
templates of deploy/elasticsearch and ships NDJSON EVE files; every check
asks the node itself: exact _count per index after a corpus run (canh-sensor
on the shared captures) and after a generated run, the mappings (src_ip ip,
timestamp date, a bounded field count), an IP range and a CIDR query on
src_ip, a resend that adds nothing, a template upgrade, a mapping conflict
rejected alone with its reason, and the node killed (-9) mid-run and started
again with exact final counts. Ends with "N passed, N failed, N skipped".
"""
import argparse
import collections
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ARGS = None
NODE = {"home": None, "port": None}


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


# ---------------------------------------------------------------- the node
def node_start():
    t0 = time.time()
    out = subprocess.run([os.path.join(TOP, "tests/opensearch/start.sh"), NODE["home"],
                          ARGS.node_dir], capture_output=True, text=True, timeout=400)
    if out.returncode != 0:
        raise Fail("the OpenSearch node did not start:\n" + out.stderr[-3000:])
    NODE["port"] = int(out.stdout.strip().splitlines()[-1])
    # After a kill -9 the node answers before its shards have recovered, and
    # a search then fails with 503 "all shards failed": wait until every
    # primary is active and nothing is still initialising.
    h = es("GET", "/_cluster/health?wait_for_status=yellow&wait_for_no_initializing_shards=true"
                  "&timeout=120s", ok=(200, 408))
    check(h.get("status") in ("yellow", "green") and not h.get("timed_out"),
          "the node's shards did not recover: %s" % h)
    print("node: up on 127.0.0.1:%d in %.1fs" % (NODE["port"], time.time() - t0), flush=True)


def node_stop(kill=False):
    cmd = [os.path.join(TOP, "tests/opensearch/stop.sh")] + (["-9"] if kill else []) + [NODE["home"]]
    subprocess.run(cmd, timeout=120)


def url(path=""):
    return "http://127.0.0.1:%d%s" % (NODE["port"], path)


def es(method, path, body=None, ok=(200,)):
    data = None
    if body is not None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
    req = urllib.request.Request(url(path), data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status not in ok:
        raise Fail("%s %s: HTTP %d: %s" % (method, path, status, text[:500]))
    return json.loads(text) if text else {}


def count(index, query=None):
    """Documents in index matching query. An index that was created a moment
    ago answers 503 "all shards failed" until its primary shard has started:
    that is retried for a while, never taken as a count."""
    body = {"query": query} if query else None
    for _ in range(80):
        es("POST", "/%s/_refresh" % index, ok=(200, 404, 503))
        r = es("POST" if body else "GET", "/%s/_count" % index, body, ok=(200, 404, 503))
        if r.get("status") != 503:
            return r.get("count", 0)
        time.sleep(0.25)
    raise Fail("%s: shards still unavailable after 20 s" % index)


def counts_per_index(pattern):
    es("POST", "/%s/_refresh" % pattern, ok=(200, 404))
    r = es("GET", "/_cat/indices/%s?format=json&h=index,docs.count" % pattern, ok=(200, 404))
    if isinstance(r, dict):
        return {}
    return {x["index"]: int(x["docs.count"]) for x in r}


# ---------------------------------------------------------------- driving
def drive(inp, index, extra=(), timeout=240, background=False):
    rej = inp + ".rejects"
    cmd = [ARGS.drive, "--url", url(), "--input", inp, "--templates", ARGS.templates,
           "--index", index, "--rejects", rej, "--timeout", str(timeout)] + list(extra)
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), rej
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60)
    return parse_drive(out.returncode, out.stdout, out.stderr), rej


def parse_drive(rc, stdout, stderr):
    if rc != 0:
        raise Fail("es_drive exit %d:\n%s" % (rc, stderr[-2000:]))
    return json.loads(stdout.strip().splitlines()[-1])


def rejects(path):
    with open(path) as f:
        return [ln.rstrip("\n").split("\t", 1) for ln in f if ln.strip()]


def gen_events(path, sensor, n, days=("2026-11-25", "2026-11-26"), seed=1, extra=None):
    """n flow/alert events for one sensor, seq 0..n-1, spread over days.
    Returns {index_day: count} and the events themselves."""
    rnd = random.Random(seed)
    evs = []
    for seq in range(n):
        day = days[seq % len(days)]
        ts = "%sT%02d:%02d:%02d.%06d+00:00" % (day, rnd.randrange(24), rnd.randrange(60),
                                               rnd.randrange(60), rnd.randrange(1000000))
        if rnd.random() < 0.7:
            src = "10.%d.%d.%d" % (rnd.randrange(3), rnd.randrange(256), rnd.randrange(1, 255))
        else:
            src = "192.168.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        e = {"timestamp": ts, "flow_id": rnd.randrange(1, 1 << 52), "src_ip": src,
             "src_port": rnd.randrange(1024, 65535), "dest_ip": "203.0.113.%d" % rnd.randrange(1, 255),
             "dest_port": rnd.choice([53, 80, 443, 445]), "proto": "TCP"}
        if seq % 5 == 0:
            e["event_type"] = "alert"
            e["alert"] = {"action": "allowed", "gid": 1, "signature_id": 2000000 + seq % 50, "rev": 1,
                          "signature": "ET TEST synthetic %d" % (seq % 50), "category": "Misc activity",
                          "severity": 1 + seq % 3, "metadata": {"k%d" % seq: ["v"]}}
        else:
            e["event_type"] = "flow"
            e["flow"] = {"pkts_toserver": rnd.randrange(1, 100), "pkts_toclient": rnd.randrange(100),
                         "bytes_toserver": rnd.randrange(60, 100000), "bytes_toclient": rnd.randrange(100000),
                         "start": ts, "end": ts, "age": 0, "state": "closed", "reason": "timeout",
                         "alerted": False}
            e["ndpi"] = {"protocol": rnd.choice(["TLS.Google", "DNS", "HTTP"]), "category": "Web"}
        # Unknown sub-objects with unique keys: stored, never mapped.
        e["unknown_%d" % (seq % 7)] = {"field_%d" % seq: seq}
        e["canh"] = {"sensor": sensor, "seq": seq, "id": "%s:%d" % (sensor, seq)}
        if extra:
            extra(seq, e)
        evs.append(e)
    with open(path, "w") as f:
        for e in evs:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    per = collections.Counter("canh-events-" + e["timestamp"][:10].replace("-", ".") for e in evs)
    return per, evs


# ---------------------------------------------------------------- cases
def t_corpus_run():
    corpus = os.path.join(TOP, "..", "shared", "corpus", "pcaps")
    if not os.path.isdir(corpus):
        raise Skip("../shared/corpus is absent")
    if not ARGS.sensor or not os.access(ARGS.sensor, os.X_OK):
        raise Skip("no canh-sensor binary")
    logdir = os.path.join(ARGS.work, "corpus-eve")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    pcaps = sorted(p for p in os.listdir(corpus) if p.endswith(".pcap"))
    for p in pcaps:
        subprocess.run([ARGS.sensor, "-r", os.path.join(corpus, p), "-l", logdir],
                       capture_output=True, timeout=300)
    eve = os.path.join(logdir, "eve.json")
    check(os.path.exists(eve), "canh-sensor wrote no eve.json")
    per, types, n = collections.Counter(), collections.Counter(), 0
    with open(eve) as f:
        for ln in f:
            o = json.loads(ln)
            per["canh-events-corpus-" + o["timestamp"][:4]] += 1
            types[o["event_type"]] += 1
            n += 1
    check(n > 1000, "the corpus run gave only %d events" % n)
    r, rej = drive(eve, "canh-events-corpus-%Y")
    check(r["done"] == n and r["rejected"] == 0,
          "corpus: %d events, done %d rejected %d: %s" % (n, r["done"], r["rejected"], rejects(rej)[:3]))
    got = counts_per_index("canh-events-corpus-*")
    check(got == dict(per), "corpus counts per index differ:\n got %s\nwant %s" % (got, dict(per)))
    for et, c in types.items():
        q = {"term": {"event_type": et}}
        check(count("canh-events-corpus-*", q) == c, "corpus event_type %s: want %d" % (et, c))
    print("  corpus: %d pcaps, %d events (%s) in %d yearly indices, %.0f docs/s"
          % (len(pcaps), n, dict(types), len(per), r["docs_per_s"]))


STATE = {}


def t_generated_counts_and_templates():
    inp = os.path.join(ARGS.work, "gen.ndjson")
    per, evs = gen_events(inp, "s1", 5000)
    r, rej = drive(inp, "canh-events-%Y.%m.%d")
    check(r["done"] == 5000 and r["rejected"] == 0, "run: %s" % r)
    got = counts_per_index("canh-events-2026.*")
    check(got == dict(per), "counts per index: got %s want %s" % (got, dict(per)))
    STATE["per"], STATE["evs"], STATE["inp"] = per, evs, inp
    # The templates were installed by ship_es (none existed on this node
    # before the first run of the suite; the corpus case may have run first).
    for name in ("canh-events", "canh-incidents"):
        t = es("GET", "/_index_template/%s" % name)
        check(t["index_templates"][0]["index_template"]["version"] >= 1, "template %s" % name)


def leaf_fields(props, prefix=""):
    out = {}
    for k, v in props.items():
        if "properties" in v:
            out.update(leaf_fields(v["properties"], prefix + k + "."))
        else:
            out[prefix + k] = v.get("type", "object")
            for sk, sv in v.get("fields", {}).items():
                out[prefix + k + "." + sk] = sv["type"]
    return out


def t_mappings_bounded():
    m = es("GET", "/canh-events-2026.*/_mapping")
    for index, body in m.items():
        f = leaf_fields(body["mappings"]["properties"])
        check(f.get("src_ip") == "ip" and f.get("dest_ip") == "ip", "%s: src_ip/dest_ip not ip: %s"
              % (index, f.get("src_ip")))
        check(f.get("timestamp") == "date", "%s: timestamp is %s" % (index, f.get("timestamp")))
        check(f.get("alert.signature_id") == "long" and f.get("canh.seq") == "long", index)
        check(f.get("alert.signature.keyword") == "keyword", index)
        check(not any(k.startswith("unknown_") for k in f),
              "%s: unknown sub-objects were mapped field by field" % index)
        check(len(f) < 300, "%s: %d mapped fields" % (index, len(f)))
    # The 5,000 unknown "field_<seq>" keys are still in _source.
    hit = es("POST", "/canh-events-2026.*/_search", {"query": {"term": {"canh.id": "s1:42"}}})
    src = hit["hits"]["hits"][0]["_source"]
    check(src.get("unknown_0", {}).get("field_42") == 42, "unknown fields not kept in _source")
    print("  %d mapped fields per index (limit 1000)" % len(f))


def t_ip_range_query():
    evs = STATE["evs"]
    lo, hi = ipaddress.ip_address("10.0.0.0"), ipaddress.ip_address("10.1.255.255")
    want = sum(1 for e in evs if lo <= ipaddress.ip_address(e["src_ip"]) <= hi)
    got = count("canh-events-2026.*", {"range": {"src_ip": {"gte": str(lo), "lte": str(hi)}}})
    check(got == want and want > 0, "range 10.0.0.0-10.1.255.255: got %d want %d" % (got, want))
    net = ipaddress.ip_network("192.168.0.0/16")
    want2 = sum(1 for e in evs if ipaddress.ip_address(e["src_ip"]) in net)
    got2 = count("canh-events-2026.*", {"term": {"src_ip": "192.168.0.0/16"}})
    check(got2 == want2 and want2 > 0, "cidr 192.168.0.0/16: got %d want %d" % (got2, want2))
    want3 = sum(1 for e in evs if e["event_type"] == "alert" and e["alert"]["severity"] == 1)
    got3 = count("canh-events-2026.*", {"bool": {"filter": [{"term": {"event_type": "alert"}},
                                                  {"term": {"alert.severity": 1}}]}})
    check(got3 == want3, "alert severity 1: got %d want %d" % (got3, want3))
    print("  src_ip range %d, cidr %d, severity-1 alerts %d" % (got, got2, got3))


def t_resend_no_duplicates():
    r, _ = drive(STATE["inp"], "canh-events-%Y.%m.%d")
    check(r["done"] == 5000 and r["duplicates"] == 5000, "resend: %s" % r)
    check(r["templates_put"] == 0, "templates reinstalled although present: %s" % r)
    got = counts_per_index("canh-events-2026.*")
    check(got == dict(STATE["per"]), "after resend: %s" % got)


def t_template_upgrade():
    # An older template (version 0) is replaced by the file's version.
    t = es("GET", "/_index_template/canh-incidents")["index_templates"][0]["index_template"]
    t["version"] = 0
    es("PUT", "/_index_template/canh-incidents", t)
    inp = os.path.join(ARGS.work, "one.ndjson")
    gen_events(inp, "up", 1, days=("2026-11-25",))
    r, _ = drive(inp, "canh-events-%Y.%m.%d")
    check(r["templates_put"] == 1, "older template not upgraded: %s" % r)
    v = es("GET", "/_index_template/canh-incidents")["index_templates"][0]["index_template"]["version"]
    check(v >= 1, "version after upgrade: %s" % v)
    STATE["per"]["canh-events-2026.11.25"] += 1


def t_incident_versions():
    # Each incident update is a new document <id>:<version>; a resend of
    # the same versions adds nothing.
    inp = os.path.join(ARGS.work, "incidents.ndjson")
    docs = []
    for iid, versions in ((7, 3), (8, 1), (9, 2)):
        for v in range(1, versions + 1):
            docs.append({"id": iid, "version": v, "title": "Port scan from 10.9.0.%d" % iid,
                         "rule_id": "canh-portscan", "severity": 2, "status": "new" if v == 1 else "acknowledged",
                         "first_seen": "2026-11-26T10:00:00.000000+00:00",
                         "last_seen": "2026-11-26T10:0%d:00.000000+00:00" % v,
                         "updated": "2026-11-26T10:0%d:00.000000+00:00" % v, "event_count": 10 * v,
                         "src": ["10.9.0.%d" % iid], "dest": ["203.0.113.5", "203.0.113.6"],
                         "sensors": ["s1"], "events": [{"canh": {"id": "s1:%d" % v}}]})
    with open(inp, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    for attempt in (1, 2):
        r, _ = drive(inp, "unused", ["--incidents"])
        check(r["done"] == len(docs) and r["rejected"] == 0, "incidents run %d: %s" % (attempt, r))
    check(r["duplicates"] == len(docs), "resend of incident versions: %s" % r)
    check(count("canh-incidents") == len(docs), "incident versions stored")
    m = es("GET", "/canh-incidents/_mapping")["canh-incidents"]["mappings"]["properties"]
    check(m["src"]["type"] == "ip" and m["last_seen"]["type"] == "date", "incident mapping: %s" % m)
    got = count("canh-incidents", {"bool": {"filter": [{"term": {"src": "10.9.0.0/24"}},
                                                       {"term": {"id": 7}}]}})
    check(got == 3, "versions of incident 7 by src CIDR: %d" % got)


def t_mapping_conflict_alone():
    inp = os.path.join(ARGS.work, "conflict.ndjson")

    def spoil(seq, e):
        if seq == 37:
            e["src_ip"] = "not-an-ip"
        if seq == 61:
            e["flow_id"] = "not-a-number"

    per, _ = gen_events(inp, "s2", 100, seed=7, extra=spoil)
    r, rej = drive(inp, "canh-events-%Y.%m.%d")
    check(r["done"] == 98 and r["rejected"] == 2, "conflict run: %s" % r)
    rj = dict(rejects(rej))
    check(set(rj) == {"s2:37", "s2:61"}, "rejected: %s" % rj)
    check("mapper_parsing_exception" in rj["s2:37"] and "src_ip" in rj["s2:37"],
          "reason: %s" % rj["s2:37"])
    check(rj["s2:37"].startswith("400 "), "reason has no status: %s" % rj["s2:37"])
    for k, v in per.items():
        STATE["per"][k] += v
    STATE["per"]["canh-events-2026.11.26"] -= 2  # seq 37 and 61 are odd: day 2
    got = counts_per_index("canh-events-2026.*")
    check(got == dict(STATE["per"]), "after conflict: got %s want %s" % (got, dict(STATE["per"])))
    print("  rejected alone: %s" % rj["s2:37"][:120])


def t_outage_kill_restart():
    n = 30000
    inp = os.path.join(ARGS.work, "outage.ndjson")
    per, _ = gen_events(inp, "s3", n, seed=11)
    before = counts_per_index("canh-events-2026.*")
    proc, rej = drive(inp, "canh-events-%Y.%m.%d", extra=["--batch-docs", "250", "--retry-max", "1000"],
                      timeout=400, background=True)
    # Kill the node once part of the run has landed.
    deadline = time.time() + 120
    landed = 0
    while time.time() < deadline:
        landed = sum(counts_per_index("canh-events-2026.*").values()) - sum(before.values())
        if landed >= 1000 or proc.poll() is not None:
            break
        time.sleep(0.2)
    check(proc.poll() is None, "the run ended before the node could be stopped (landed %d)" % landed)
    check(landed < n, "everything landed before the kill")
    node_stop(kill=True)
    print("  node killed (-9) with %d of %d landed" % (landed, n), flush=True)
    time.sleep(3)
    node_start()
    out, err = proc.communicate(timeout=500)
    r = parse_drive(proc.returncode, out, err)
    check(r["done"] == n and r["rejected"] == 0, "outage run: %s" % r)
    check(r["request_failures"] > 0 and r["retried"] > 0, "no failure seen during the outage: %s" % r)
    for k, v in per.items():
        STATE["per"][k] += v
    got = counts_per_index("canh-events-2026.*")
    check(got == dict(STATE["per"]), "after outage: got %s want %s" % (got, dict(STATE["per"])))
    # Exact counts with create + _id = canh.id rule out duplicates; ask for
    # one anyway: no canh.id may be held twice.
    agg = es("POST", "/canh-events-2026.*/_search", {"size": 0, "query": {"term": {"canh.sensor": "s3"}},
                                            "aggs": {"d": {"terms": {"field": "canh.id",
                                                                     "min_doc_count": 2, "size": 10}}}})
    check(agg["aggregations"]["d"]["buckets"] == [], "duplicates: %s" % agg["aggregations"]["d"])
    print("  outage: %d failed requests, %d item retries, %d answered 409 after restart"
          % (r["request_failures"], r["retried"], r["duplicates"]))


CASES = [t_corpus_run, t_generated_counts_and_templates, t_mappings_bounded, t_ip_range_query,
         t_resend_no_duplicates, t_template_upgrade, t_incident_versions, t_mapping_conflict_alone,
         t_outage_kill_restart]


def run_cases(cases, names):
    """Start the node, run each case t_NAME (those matching names, if any),
    stop the node, print the closing line; the exit status."""
    passed = failed = skipped = 0
    try:
        node_start()
    except Exception as e:  # noqa: BLE001
        print("FAIL node-start: %s" % e)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    try:
        for c in cases:
            name = c.__name__[2:]
            if names and not any(n in name for n in names):
                continue
            t0 = time.time()
            try:
                c()
                passed += 1
                print("ok   %s (%.1fs)" % (name, time.time() - t0), flush=True)
            except Skip as e:
                skipped += 1
                print("skip %s: %s" % (name, e), flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)
                if not isinstance(e, Fail):
                    traceback.print_exc()
    finally:
        node_stop()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--drive", required=True)
    ap.add_argument("--node-dir", required=True)
    ap.add_argument("--templates", default=os.path.join(TOP, "deploy/elasticsearch"))
    ap.add_argument("--sensor")
    ap.add_argument("--work", required=True)
    ap.add_argument("names", nargs="*")
    ARGS = ap.parse_args()
    shutil.rmtree(ARGS.work, ignore_errors=True)
    os.makedirs(ARGS.work)
    NODE["home"] = os.path.join(ARGS.work, "node")
    return run_cases(CASES, ARGS.names)


if __name__ == "__main__":
    sys.exit(main())
