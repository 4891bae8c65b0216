#!/usr/bin/env python3
"""Black-box tests of canh-correlator: the daemon on 127.0.0.1 port 0 with a
temporary data dir and the rules in tests/correlator/rules; batches POSTed
over HTTP; answers checked through the API and the SQLite file.
Ends with "N passed, N failed, N skipped" (tests/run.sh reads it)."""
import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corrlib import Daemon, event, ndjson, post_events, request  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


def setup(binary, sets=()):
    """A running daemon with sensor s1 and users of each role."""
    d = Daemon(binary, sets=sets)
    d.sensor = d.token_of(d.cli("sensor", "add", "s1").stdout)
    d.tokens = {}
    for role in ("viewer", "analyst", "responder", "admin"):
        d.cli("user", "add", role + "1", role)
        d.tokens[role] = d.token_of(d.cli("token", "create", role + "1").stdout)
    return d.start()


def alert(seq, src="10.0.0.1", sig=9000001, sensor="s1"):
    return event(sensor, seq, src_ip=src, alert={"signature_id": sig, "severity": 1,
                                                  "signature": "TEST %d" % sig})


@test
def ingest_plain_and_gzip(d):
    st, body = post_events(d, d.sensor, [alert(1), alert(2), alert(3, sig=5)])
    assert st == 200 and body == {"accepted": 3, "duplicates": 0}, (st, body)
    st, body = post_events(d, d.sensor, [alert(4), alert(5, sig=5)], gz=True)
    assert st == 200 and body == {"accepted": 2, "duplicates": 0}, (st, body)
    assert d.count() == 5
    row = d.count("SELECT count(*) FROM events WHERE canh_id='s1:3' AND sig_id=5 AND "
                  "src_ip='10.0.0.1' AND event_type='alert' AND ts_us IS NOT NULL")
    assert row == 1


@test
def batch_sent_twice_is_stored_once(d):
    batch = [alert(10), alert(11), alert(12)]
    assert post_events(d, d.sensor, batch)[1] == {"accepted": 3, "duplicates": 0}
    assert post_events(d, d.sensor, batch, gz=True)[1] == {"accepted": 0, "duplicates": 3}
    st, body = post_events(d, d.sensor, [alert(12), alert(13), alert(13)])
    assert body == {"accepted": 1, "duplicates": 2}, body
    assert d.count() == 4
    assert d.count("SELECT count(DISTINCT canh_id) FROM events") == 4
    # Same id, different content: a sensor that lost its seq state. Not
    # stored, but counted and reported.
    st, body = post_events(d, d.sensor, [alert(12, src="10.3.3.3")])
    assert body == {"accepted": 0, "duplicates": 1, "conflicts": 1}, body
    assert d.count("SELECT count(*) FROM events WHERE src_ip = '10.3.3.3'") == 0


@test
def nul_bytes_from_the_wire_are_kept_not_refused(d):
    # A DNS rdata or a URI can carry NUL bytes; the sensor escapes them as
    # \u0000 (valid JSON). Refusing such an event would let an attacker get
    # evidence dropped, so it is stored and served back intact.
    ev = alert(30, sig=7)
    ev["http"] = {"url": "/a\u0000b", "hostname": "x\u0000.example"}
    st, body = post_events(d, d.sensor, [ev, alert(31)])
    assert st == 200 and body == {"accepted": 2, "duplicates": 0}, (st, body)
    st, res = request(d.url("/api/v1/events?sig=7"), token=d.tokens["viewer"])
    assert st == 200 and res["total"] == 1, (st, res)
    assert res["events"][0]["event"]["http"]["url"] == "/a\u0000b", res["events"][0]
    # a NUL in an object key is not JSON jansson (or OpenSearch) can keep
    bad = '{"canh":{"id":"s1:32","sensor":"s1","seq":32},"event_type":"alert","a\\u0000":1}'
    rejected(d, 400, body=bad.encode())


def rejected(d, status, **kw):
    before = d.count()
    st, body = post_events(d, kw.pop("token", d.sensor), **kw)
    assert st == status, (st, body)
    assert isinstance(body, dict) and body.get("error"), body
    assert d.count() == before, "a rejected batch stored something"
    return body


@test
def bad_input_is_rejected_and_nothing_stored(d):
    good = ndjson([alert(20), alert(21)])
    body = rejected(d, 400, body=good + b'{"event_type": "alert", \n')
    assert body["line"] == 3, body
    rejected(d, 400, body=good + b"[1]\n")
    rejected(d, 400, body=b'{"canh":{"id":"s1:5","sensor":"s1","seq":6}}\n')
    rejected(d, 400, body=b"")
    trunc = gzip.compress(good)[:-9]
    rejected(d, 400, body=trunc, headers={"Content-Encoding": "gzip"})
    rejected(d, 400, body=good, headers={"Content-Encoding": "gzip"})
    rejected(d, 401, events=[alert(22)], token="canh_" + "0" * 64)
    rejected(d, 401, events=[alert(22)], token=None)
    rejected(d, 403, events=[alert(22)], token=d.tokens["admin"])
    body = rejected(d, 403, body=good + ndjson([alert(1, sensor="s2")]))
    assert body["line"] == 3
    rejected(d, 415, events=[alert(22)], headers={"Content-Type": "image/png"})
    rejected(d, 415, events=[alert(22)], headers={"Content-Encoding": "br"})
    assert d.count() == 0


@test
def oversize_batches_get_413(d):
    # This daemon runs with limits.max-body=64kb and limits.max-decoded=256kb.
    big = ndjson([alert(i, src="10.1.%d.%d" % (i // 250, i % 250)) for i in range(1, 1200)])
    assert 64 * 1024 < len(big) < 256 * 1024 * 2
    st, _ = post_events(d, d.sensor, body=big + b" " * (65 * 1024))
    assert st == 413, st
    bomb = b"\n" * (1024 * 1024)  # gunzips to 1 MiB, sent as ~1 KiB
    body = rejected(d, 413, body=ndjson([alert(1)]) + bomb, gz=True)
    assert "gunzip" in body["error"], body
    long_line = ndjson([event("s1", 1, pad="x" * 80000)])
    rejected(d, 413, body=long_line, gz=True)
    assert d.count() == 0


@test
def incidents_open_and_fold(d):
    assert post_events(d, d.sensor, [alert(i) for i in range(1, 6)])[0] == 200
    assert post_events(d, d.sensor, [alert(i) for i in range(6, 9)], gz=True)[0] == 200
    assert post_events(d, d.sensor, [alert(9, src="10.9.9.9"), alert(10, sig=7)])[0] == 200
    dns = [event("s1", 11, event_type="dns", src_ip="10.5.5.5", dns={"rrname": "evil.example"}),
           event("s1", 12, event_type="dns", src_ip="10.5.5.5", dns={"rrname": "evil.example"})]
    assert post_events(d, d.sensor, dns)[0] == 200
    v = d.tokens["viewer"]
    st, res = request(d.url("/api/v1/incidents"), token=v)
    assert st == 200 and res["total"] == 3, res
    by_src = {tuple(i["src"]): i for i in res["incidents"]}
    a = by_src[("10.0.0.1",)]
    assert a["event_count"] == 8 and a["hits"] == 8, a
    assert a["status"] == "new" and a["severity"] == 1 and a["tags"] == ["attack.t1046"], a
    assert a["sensors"] == ["s1"] and a["dest"] == ["10.0.0.2"], a
    assert by_src[("10.9.9.9",)]["event_count"] == 1
    dn = by_src[("10.5.5.5",)]
    assert dn["group_key"] == "src_ip=10.5.5.5" and dn["event_count"] == 2, dn
    st, one = request(d.url("/api/v1/incidents/%d" % a["id"]), token=v)
    assert st == 200 and len(one["events"]) == 8
    assert sorted(e["id"] for e in one["events"]) == sorted("s1:%d" % i for i in range(1, 9))
    assert one["audit"][0]["actor"] == "system" and one["audit"][0]["action"] == "opened"
    # Filters.
    for q, n in (("address=10.9.9.9", 1), ("status=new", 3), ("status=resolved", 0),
                 ("severity=1", 2), ("sensor=s1", 3), ("sensor=s9", 0), ("q=dns", 1),
                 ("rule=6d0f7b7e-0000-4000-8000-000000000002", 1),
                 ("since=2026-11-27T03:00:00Z", 0), ("until=2026-11-27T03:00:00Z", 3),
                 ("limit=1", 3)):
        st, res = request(d.url("/api/v1/incidents?" + q), token=v)
        assert st == 200 and res["total"] == n, (q, res)
    st, res = request(d.url("/api/v1/incidents?limit=1&offset=1"), token=v)
    assert len(res["incidents"]) == 1
    assert request(d.url("/api/v1/incidents?status=bogus"), token=v)[0] == 400
    assert request(d.url("/api/v1/incidents?since=yesterday"), token=v)[0] == 400
    assert request(d.url("/api/v1/incidents/999"), token=v)[0] == 404
    # Event search.
    st, res = request(d.url("/api/v1/events?address=10.9.9.9"), token=v)
    assert st == 200 and res["total"] == 1 and res["events"][0]["id"] == "s1:9", res
    st, res = request(d.url("/api/v1/events?sig=7"), token=v)
    assert res["total"] == 1
    st, res = request(d.url("/api/v1/events?event_type=dns&q=evil"), token=v)
    assert res["total"] == 2
    # After resolution, the same key opens a new incident.
    r = d.tokens["responder"]
    assert request(d.url("/api/v1/incidents/%d" % a["id"]), "PATCH",
                   {"status": "resolved", "disposition": "true_positive"}, r)[0] == 200
    assert post_events(d, d.sensor, [alert(13)])[0] == 200
    st, res = request(d.url("/api/v1/incidents?address=10.0.0.1"), token=v)
    assert res["total"] == 2, res
    st, m = request(d.url("/api/v1/metrics"), token=v)
    assert m["correlation"]["incidents_opened"] == 4, m
    assert m["correlation"]["delay_samples"] >= 4 and m["correlation"]["delay_p99_us"] > 0


@test
def roles_are_enforced(d):
    assert post_events(d, d.sensor, [alert(1)])[0] == 200
    st, res = request(d.url("/api/v1/incidents"), token=d.tokens["viewer"])
    iid = res["incidents"][0]["id"]
    u = d.url("/api/v1/incidents/%d" % iid)
    st, body = request(u, "PATCH", {"status": "acknowledged"}, d.tokens["viewer"])
    assert st == 403 and "error" in body, (st, body)
    assert request(u + "/comments", "POST", {"body": "x"}, d.tokens["viewer"])[0] == 403
    assert request(u, "PATCH", {"status": "acknowledged"}, d.sensor)[0] == 403
    assert request(u, "PATCH", {"status": "acknowledged"}, None)[0] == 401
    st, body = request(u, "PATCH", {"status": "acknowledged", "assignee": "analyst1"},
                       d.tokens["analyst"])
    assert st == 200 and body["status"] == "acknowledged" and body["assignee"] == "analyst1"
    assert request(u, "PATCH", {"status": "false_positive"}, d.tokens["analyst"])[0] == 403
    assert request(u, "PATCH", {"disposition": "benign"}, d.tokens["analyst"])[0] == 403
    assert request(u, "PATCH", {"status": "nonsense"}, d.tokens["analyst"])[0] == 400
    assert request(u, "PATCH", b"{not json", d.tokens["analyst"])[0] == 400
    st, body = request(u + "/comments", "POST", {"body": "scanner of the IT team"},
                       d.tokens["analyst"])
    assert st == 201 and body["id"] > 0
    st, body = request(u, "PATCH", {"status": "false_positive", "disposition": "benign"},
                       d.tokens["responder"])
    assert st == 200 and body["status"] == "false_positive"
    st, one = request(u, token=d.tokens["viewer"])
    actions = [(a["actor"], a["action"]) for a in one["audit"]]
    assert actions == [("system", "opened"), ("analyst1", "set_status"),
                       ("analyst1", "set_assignee"), ("analyst1", "comment"),
                       ("responder1", "set_status"), ("responder1", "set_disposition")], actions
    assert one["comments"][0]["author"] == "analyst1"
    # Admin endpoints.
    assert request(d.url("/api/v1/users"), token=d.tokens["responder"])[0] == 403
    st, body = request(d.url("/api/v1/users"), "POST", {"name": "newbie", "role": "viewer"},
                       d.tokens["admin"])
    assert st == 201 and body["token"].startswith("canh_"), body
    assert request(d.url("/api/v1/whoami"), token=body["token"])[1]["role"] == "viewer"
    st, rv = request(d.url("/api/v1/tokens/%d" % body["token_id"]), "DELETE",
                     token=d.tokens["admin"])
    assert st == 200
    assert request(d.url("/api/v1/whoami"), token=body["token"])[0] == 401
    assert request(d.url("/api/v1/health"))[0] == 200
    assert request(d.url("/api/v1/nothing"), token=d.tokens["viewer"])[0] == 404


@test
def cli_tokens_and_revocation(d):
    out = d.cli("sensor", "add", "s2").stdout
    tok = d.token_of(out)
    assert post_events(d, tok, [alert(1, sensor="s2")])[1] == {"accepted": 1, "duplicates": 0}
    # A token of s2 cannot post events of s1.
    assert post_events(d, tok, [alert(1)])[0] == 403
    tid = [ln for ln in out.splitlines() if "id " in ln][0].split("id ")[1].split(",")[0]
    d.cli("token", "revoke", tid)
    assert post_events(d, tok, [alert(2, sensor="s2")])[0] == 401
    r = d.cli("token", "revoke", tid, check=False)
    assert r.returncode == 1 and "no such live token" in r.stderr
    r = d.cli("user", "add", "x", "overlord", check=False)
    assert r.returncode == 1
    # The token is stored only as a digest.
    assert d.count("SELECT count(*) FROM tokens WHERE instr(hex(hash), ?) > 0",
                   (tok[5:].upper(),)) == 0
    st, res = request(d.url("/api/v1/sensors"), token=d.tokens["viewer"])
    assert [s["name"] for s in res["sensors"]] == ["s1", "s2"], res


@test
def sensor_health_from_stats(d):
    ev = []
    for i, (t, pk, dr) in enumerate(((0, 1000, 0), (10, 51000, 7))):
        e = event("s1", i + 1, event_type="stats",
                  stats={"capture": {"kernel_packets": pk, "kernel_drops": dr}})
        e["timestamp"] = "2026-11-27T02:00:%02d+00:00" % t
        ev.append(e)
    assert post_events(d, d.sensor, ev)[0] == 200
    st, res = request(d.url("/api/v1/sensors"), token=d.tokens["viewer"])
    s = res["sensors"][0]
    assert s["packets"] == 51000 and s["drops"] == 7 and s["last_seq"] == 2, s
    assert abs(s["packets_per_s"] - 5000.0) < 0.01, s
    assert s["last_seen"] is not None


@test
def kill9_mid_ingest_loses_nothing_and_stores_nothing_twice(d):
    """A sender thread posts batches of 200; each acknowledged batch is
    remembered. kill -9 lands while it is sending. After a restart every
    acknowledged event is there, and re-sending everything (as the sensor
    does with its unacknowledged spool) gives exactly one copy of each."""
    batches = [[alert(b * 200 + i + 1, src="10.2.%d.%d" % (b, i % 200)) for i in range(200)]
               for b in range(60)]
    acked = []
    stop = threading.Event()

    def sender():
        for b in batches:
            if stop.is_set():
                return
            try:
                st, body = post_events(d, d.sensor, b, gz=True)
            except Exception:
                return
            if st == 200:
                acked.extend(e["canh"]["id"] for e in b)

    t = threading.Thread(target=sender)
    t.start()
    while len(acked) < 2000 and t.is_alive():
        time.sleep(0.005)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    stop.set()
    t.join()
    assert 2000 <= len(acked) < 12000, len(acked)
    d.stop()
    d.start()
    c = d.db()
    have = set(r[0] for r in c.execute("SELECT canh_id FROM events"))
    c.close()
    missing = [a for a in acked if a not in have]
    assert not missing, "acknowledged but lost: %d" % len(missing)
    for b in batches:
        assert post_events(d, d.sensor, b, gz=True)[0] == 200
    assert d.count() == 12000
    assert d.count("SELECT count(DISTINCT canh_id) FROM events") == 12000
    # Every event of sig 9000001 from 10.2.x.y ends up in an incident, once.
    assert d.count("SELECT count(*) FROM incident_events") == 12000
    assert d.count("SELECT sum(event_count) FROM incidents") == 12000


@test
def restart_correlates_events_stored_before_a_crash(d):
    assert post_events(d, d.sensor, [alert(1), alert(2), alert(3, src="10.7.7.7")])[0] == 200
    d.stop()
    c = d.db()
    # Pretend the daemon died between the event commit and the incident commit.
    for t in ("incident_events", "incident_sensors", "incident_entities", "incident_tags",
              "audit", "incidents"):
        c.execute("DELETE FROM " + t)
    c.execute("DELETE FROM state WHERE key = 'corr_rowid'")
    c.commit()
    c.close()
    d.start()
    st, res = request(d.url("/api/v1/incidents"), token=d.tokens["viewer"])
    assert res["total"] == 2, res
    assert sorted(i["event_count"] for i in res["incidents"]) == [1, 2]
    d.stop()
    d.start()  # nothing replayed twice
    st, res = request(d.url("/api/v1/incidents"), token=d.tokens["viewer"])
    assert sorted(i["event_count"] for i in res["incidents"]) == [1, 2]
    assert d.count("SELECT sum(hits) FROM incidents") == 3


CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "..", "shared", "corpus")


def end_to_end_sensor(binary):
    """canh-sensor on corpus captures ships to the correlator: the events
    stored are exactly the sensor's EVE lines, the default rules open one
    port-scan incident per scanner and target, and a resend is folded."""
    sensor = os.path.join(os.path.dirname(binary), "canh-sensor")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isdir(CORPUS):
        raise Skip("../shared/corpus absent")
    if not os.path.exists(sensor):
        raise Skip("canh-sensor not built")
    probe = subprocess.run([sensor, "-T", "--set", "outputs.correlator.enabled=no"],
                           capture_output=True, text=True)
    if "unknown key" in probe.stderr:
        raise Skip("this canh-sensor build has no correlator output (sensor/ship)")
    d = Daemon(binary, rules=os.path.join(top, "rules"))
    try:
        tok = d.token_of(d.cli("sensor", "add", "e2e").stdout)
        d.cli("user", "add", "v", "viewer")
        vt = d.token_of(d.cli("token", "create", "v").stdout)
        d.start()
        logdir = os.path.join(d.data, "sensor-log")
        os.makedirs(logdir)
        scans = {"esnet-masscan-tcp-0-1000": "172.31.15.102", "ndpi-synscan": "172.16.0.8"}
        for name in list(scans) + ["esnet-nmap-80-all", "ndpi-dns_doh"]:
            r = subprocess.run([sensor, "-r", os.path.join(CORPUS, "pcaps", name + ".pcap"),
                                "-l", logdir, "--set", "sensor-id=e2e",
                                "--set", "outputs.correlator.enabled=yes",
                                "--set", "outputs.correlator.url=" + d.url(""),
                                "--set", "outputs.correlator.token=" + tok,
                                "--set", "outputs.correlator.spool-dir=" +
                                os.path.join(d.data, "spool")],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
        with open(os.path.join(logdir, "eve.json"), "rb") as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        ids = set(json.loads(ln)["canh"]["id"] for ln in lines)
        assert len(ids) == len(lines) > 2000, (len(ids), len(lines))
        c = d.db()
        stored = set(r[0] for r in c.execute("SELECT canh_id FROM events"))
        c.close()
        assert stored == ids, (len(stored), len(ids))
        st, res = request(d.url("/api/v1/incidents?limit=500"), token=vt)
        scans_found = [i for i in res["incidents"] if i["title"] == "Port scan of one host"]
        for src in scans.values():
            mine = [i for i in scans_found if i["src"] == [src]]
            assert len(mine) == 1, (src, mine)
            assert mine[0]["event_count"] >= 20 and "attack.t1046" in mine[0]["tags"], mine[0]
        # A resend of everything (e.g. a lost acknowledgement) is folded.
        st, body = post_events(d, tok, body=b"\n".join(lines) + b"\n", gz=True)
        assert st == 200 and body == {"accepted": 0, "duplicates": len(lines)}, body
        assert d.count() == len(lines)
    finally:
        d.close()


def tls_when_configured(binary):
    """With tls.cert/tls.key the API speaks HTTPS only; a client that trusts
    the certificate can ingest, plain HTTP gets nowhere."""
    import ssl
    import urllib.request
    with tempfile.TemporaryDirectory() as t:
        crt, key = os.path.join(t, "c.pem"), os.path.join(t, "k.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", crt, "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True)
        if r.returncode != 0:
            raise Skip("openssl cannot make a test certificate")
        d = Daemon(binary, sets=("tls.cert=" + crt, "tls.key=" + key))
        try:
            tok = d.token_of(d.cli("sensor", "add", "s1").stdout)
            d.start()
            ctx = ssl.create_default_context(cafile=crt)
            req = urllib.request.Request(
                "https://127.0.0.1:%d/api/v1/events" % d.port, data=ndjson([alert(1)]),
                headers={"Authorization": "Bearer " + tok,
                         "Content-Type": "application/x-ndjson"}, method="POST")
            with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
                assert resp.status == 200
                assert json.loads(resp.read()) == {"accepted": 1, "duplicates": 0}
            try:
                request(d.url("/api/v1/health"), timeout=3)
                plain_ok = True
            except Exception:
                plain_ok = False
            assert not plain_ok, "plain HTTP answered on a TLS listener"
            assert d.count() == 1
            d.stop()
        finally:
            d.close()
        r = subprocess.run([binary, "--set", "tls.cert=/nonexistent.pem", "--set",
                            "data-dir=" + t, "--set", "listen.port=0"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and "tls" in r.stderr, r


def sensor_kill9_then_restart(binary):
    """kill -9 of the sensor while it cannot deliver (its spool holds the
    events), then a restart on another capture: the correlator ends up with
    exactly the ids of both runs' EVE lines, none twice."""
    import socket
    sensor = os.path.join(os.path.dirname(binary), "canh-sensor")
    if not os.path.isdir(CORPUS):
        raise Skip("../shared/corpus absent")
    if not os.path.exists(sensor):
        raise Skip("canh-sensor not built")
    probe = subprocess.run([sensor, "-T", "--set", "outputs.correlator.enabled=no"],
                           capture_output=True, text=True)
    if "unknown key" in probe.stderr:
        raise Skip("this canh-sensor build has no correlator output (sensor/ship)")
    d = setup(binary)
    try:
        logdir, spool = os.path.join(d.data, "slog"), os.path.join(d.data, "spool")
        os.makedirs(logdir)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()

        def args(pcap, url):
            return [sensor, "-r", os.path.join(CORPUS, "pcaps", pcap), "-l", logdir,
                    "--set", "sensor-id=s1", "--set", "outputs.correlator.enabled=yes",
                    "--set", "outputs.correlator.url=" + url,
                    "--set", "outputs.correlator.token=" + d.sensor,
                    "--set", "outputs.correlator.spool-dir=" + spool]
        p = subprocess.Popen(args("ndpi-synscan.pcap", "http://127.0.0.1:%d" % dead),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        eve = os.path.join(logdir, "eve.json")
        for _ in range(200):
            if os.path.exists(eve) and os.path.getsize(eve) > 100000:
                break
            time.sleep(0.05)
        # Let the spool's group commit (fsync) cover what EVE has: the sensor
        # acknowledges nothing it has not fsynced, so lines newer than the last
        # commit may legitimately die with it.
        time.sleep(1.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        first = sum(1 for _ in open(eve))
        assert first > 100 and d.count() == 0, (first, d.count())
        r = subprocess.run(args("esnet-masscan-tcp-0-1000.pcap", d.url("")),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        with open(eve, "rb") as f:
            ids = [json.loads(ln)["canh"]["id"] for ln in f.read().splitlines() if ln.strip()]
        assert len(ids) == len(set(ids)) > first
        c = d.db()
        stored = [r[0] for r in c.execute("SELECT canh_id FROM events")]
        c.close()
        assert len(stored) == len(set(stored))
        missing = set(ids) - set(stored)
        assert not missing and set(stored) == set(ids), (len(missing), len(stored), len(ids))
    finally:
        d.close()


def config_check(binary):
    with tempfile.TemporaryDirectory() as t:
        bad = os.path.join(t, "c.yaml")
        with open(bad, "w") as f:
            f.write("listen:\n  port: 99999\nlimits:\n  max-body: 12X\nbogus: 1\n")
        r = subprocess.run([binary, "-T", "-c", bad], capture_output=True, text=True)
        assert r.returncode == 1, r
        for key in ("listen.port", "limits.max-body", "bogus"):
            assert key in r.stderr, (key, r.stderr)
        good = os.path.join(t, "g.yaml")
        with open(good, "w") as f:
            f.write("listen:\n  port: 8999\nrules-dir: %s\n" % os.path.join(
                os.path.dirname(os.path.abspath(__file__)), "rules"))
        r = subprocess.run([binary, "-T", "-c", good], capture_output=True, text=True)
        assert r.returncode == 0 and "2 rules loaded, 0 failed" in r.stdout, r


def deploy_config_is_valid(binary):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(top, "deploy", "correlator.yaml")
    if not os.path.exists(path):
        raise Skip("deploy/correlator.yaml absent")
    r = subprocess.run([binary, "--dump", "-c", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    passed = failed = skipped = 0
    small = ("limits.max-body=64kb", "limits.max-decoded=256kb", "limits.max-line=64kb")
    plan = [(fn.__name__, fn, small if fn.__name__.startswith("oversize") else ())
            for fn in TESTS]
    plan += [("config_check", None, config_check), ("deploy_config_is_valid", None,
                                                    deploy_config_is_valid),
             ("tls_when_configured", None, tls_when_configured),
             ("end_to_end_sensor", None, end_to_end_sensor),
             ("sensor_kill9_then_restart", None, sensor_kill9_then_restart)]
    for name, fn, extra in plan:
        if a.only and not any(o in name for o in a.only):
            continue
        d = None
        t0 = time.time()
        try:
            if fn is None:
                extra(a.bin)
            else:
                d = setup(a.bin, extra)
                fn(d)
                d.stop()  # must exit 0: no sanitizer report, no leak
            print("ok   %s (%.1fs)" % (name, time.time() - t0))
            passed += 1
        except Skip as e:
            print("skip %s: %s" % (name, e))
            skipped += 1
        except Exception:
            print("FAIL %s" % name)
            traceback.print_exc()
            if d is not None and os.path.exists(os.path.join(d.data, "daemon.log")):
                print("---- daemon log ----")
                print(open(os.path.join(d.data, "daemon.log")).read()[-3000:])
            failed += 1
        finally:
            if d is not None:
                d.close()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
