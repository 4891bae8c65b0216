#!/usr/bin/env python3
"""Black-box tests of the portal's server side: canh-correlator on 127.0.0.1
port 0 with a temporary data dir, the rules in tests/portal-api/rules and a
temporary static directory; users log in with passwords set through the
CLI; answers are checked through the API, raw HTTP and the SQLite file.
Ends with "N passed, N failed, N skipped" (tests/run.sh reads it)."""
import argparse
import datetime
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "correlator"))
from corrlib import Daemon, event, post_events  # noqa: E402

RULES = os.path.join(HERE, "rules")
RULE_SCAN = "7e1a0000-0000-4000-8000-000000000001"
RULE_OTHER = "7e1a0000-0000-4000-8000-000000000002"
PASSWORDS = {"viewer1": "viewer-pass-1", "analyst1": "analyst-pass-1",
             "responder1": "responder-pass-1", "admin1": "admin-pass-12", "locky": "locky-pass-1"}
ROLES = {"viewer1": "viewer", "analyst1": "analyst", "responder1": "responder",
         "admin1": "admin", "locky": "analyst"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; frame-ancestors 'none'")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


def raw(d, method, path, body=None, headers=None):
    """(status, headers dict lower-cased, parsed JSON or raw bytes). The path
    is sent exactly as given (no client-side normalisation)."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    c.putrequest(method, path, skip_accept_encoding=True)
    for k, v in h.items():
        c.putheader(k, v)
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders()
    if body is not None:
        c.send(body)
    r = c.getresponse()
    data = r.read()
    hdrs = {}
    for k, v in r.getheaders():
        hdrs.setdefault(k.lower(), []).append(v)
    c.close()
    try:
        parsed = json.loads(data) if data and path.startswith("/api/") else data
    except ValueError:
        parsed = data
    return r.status, hdrs, parsed


class Session:
    """A browser-like client: the session cookie and its CSRF token."""

    def __init__(self, d, user, password=None):
        self.d = d
        st, h, body = raw(d, "POST", "/api/v1/login",
                          {"username": user, "password": password or PASSWORDS[user]})
        assert st == 200, (user, st, body)
        self.login = body
        self.set_cookie = h["set-cookie"][0]
        m = re.match(r"canh_session=([0-9a-f]{64});", self.set_cookie)
        assert m, self.set_cookie
        self.cookie = m.group(1)
        self.csrf = body["csrf"]

    def req(self, method, path, body=None, csrf=True, headers=None):
        h = {"Cookie": "canh_session=" + self.cookie}
        if csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        st, _, b = raw(self.d, method, path, body, h)
        return st, b


def bearer(d, method, path, token, body=None):
    st, _, b = raw(d, method, path, body, {"Authorization": "Bearer " + token})
    return st, b


def make_daemon(binary, sets=(), users=("viewer1", "analyst1", "responder1", "admin1")):
    static = tempfile.TemporaryDirectory(prefix="canh-static-")
    root = os.path.join(static.name, "www")
    os.makedirs(os.path.join(root, "i18n"))
    files = {"index.html": "<!doctype html><title>canh</title>\n",
             "app.js": "export const x = 1;\n", "app.css": "body{}\n",
             "i18n/vi.json": '{"hello":"xin chào"}\n', ".hidden": "hidden\n"}
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    with open(os.path.join(static.name, "secret.txt"), "w") as f:
        f.write("TOP-SECRET-OUTSIDE\n")
    os.symlink(os.path.join(static.name, "secret.txt"), os.path.join(root, "link.txt"))
    d = Daemon(binary, rules=RULES, sets=["portal.static-dir=" + root,
                                           "portal.search-url=https://search.example/q?ip={ip}"]
               + list(sets))
    d.static = static
    d.sensor = d.token_of(d.cli("sensor", "add", "s1").stdout)
    d.cli("sensor", "add", "quiet")
    d.tokens = {}
    for u in users:
        r = subprocess.run(d.args() + ["user", "add", u, ROLES[u], "--password-stdin"],
                           input=PASSWORDS[u] + "\n", capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        d.tokens[u] = d.token_of(d.cli("token", "create", u).stdout)
    return d.start()


def close_daemon(d):
    d.close()
    d.static.cleanup()


SEQ = [1000]


def alert(src="10.1.0.1", sig=9100001, dest="192.0.2.1", ts=None, sensor="s1"):
    SEQ[0] += 1
    ev = event(sensor, SEQ[0], src_ip=src, dest_ip=dest,
               alert={"signature_id": sig, "severity": 2, "signature": "PORTAL TEST %d" % sig})
    if ts:
        ev["timestamp"] = ts
    return ev


def post(d, evs):
    st, body = post_events(d, d.sensor, evs)
    assert st == 200 and body["accepted"] == len(evs), (st, body)


def incident_of(d, src, rule=RULE_SCAN):
    st, b = bearer(d, "GET", "/api/v1/incidents?rule=%s&address=%s&limit=50" % (rule, src),
                   d.tokens["admin1"])
    assert st == 200, b
    assert b["incidents"], ("no incident for", src, rule)
    return b["incidents"][0]


def get_inc(d, iid):
    st, b = bearer(d, "GET", "/api/v1/incidents/%d" % iid, d.tokens["admin1"])
    assert st == 200, (st, b)
    return b


def audit_actions(d, iid):
    return [a["action"] for a in get_inc(d, iid)["audit"]]

# ---- sessions -------------------------------------------------------------


@test
def login_sets_session_cookie_and_csrf(d):
    s = Session(d, "analyst1")
    assert s.login["user"] == "analyst1" and s.login["role"] == "analyst", s.login
    assert s.login["lang"] == "vi" and s.login["tz"] == "Asia/Ho_Chi_Minh", s.login
    assert re.fullmatch(r"[0-9a-f]{64}", s.csrf), s.csrf
    flags = [f.strip() for f in s.set_cookie.split(";")[1:]]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags, flags
    assert "Secure" not in flags, "plain HTTP listener must not set Secure: %s" % flags
    st, me = s.req("GET", "/api/v1/whoami")
    assert st == 200 and me["user"] == "analyst1" and me["csrf"] == s.csrf, (st, me)
    # Only the digest of the cookie is stored.
    digest = hashlib.sha256(s.cookie.encode()).digest()
    assert d.count("SELECT count(*) FROM sessions WHERE hash = ?", (digest,)) == 1
    assert d.count("SELECT count(*) FROM sessions WHERE hash = ?", (s.cookie,)) == 0
    # Passwords are Argon2id strings.
    h = d.count("SELECT pw_hash FROM users WHERE name = 'analyst1'")
    assert h.startswith("$argon2id$"), h


@test
def login_bad_credentials_401(d):
    for user, pw in (("analyst1", "wrong-password"), ("nobody", "whatever-1"),
                     ("bad name!", "x")):
        st, _, b = raw(d, "POST", "/api/v1/login", {"username": user, "password": pw})
        assert st == 401 and "error" in b, (user, st, b)
    st, _, b = raw(d, "POST", "/api/v1/login", {"username": "analyst1"})
    assert st == 400, (st, b)
    st, _, b = raw(d, "GET", "/api/v1/whoami", headers={"Cookie": "canh_session=" + "0" * 64})
    assert st == 401, (st, b)


@test
def lockout_after_five_failures(d):
    d.cli("user", "add", "locky", "analyst")
    r = subprocess.run(d.args() + ["user", "passwd", "locky"], input=PASSWORDS["locky"] + "\n",
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for i in range(5):
        st, _, b = raw(d, "POST", "/api/v1/login", {"username": "locky", "password": "bad%d" % i})
        assert st == 401, (i, st, b)
    st, h, b = raw(d, "POST", "/api/v1/login", {"username": "locky",
                                                "password": PASSWORDS["locky"]})
    assert st == 429 and b["error"] == "locked", (st, b)
    assert 0 < b["retry_after"] <= 900 and h["retry-after"][0] == str(b["retry_after"]), (b, h)
    assert d.count("SELECT count(*) FROM audit WHERE action = 'login_locked' AND "
                   "actor = 'locky'") >= 1
    # The lock is per user: another user from the same address still gets in.
    Session(d, "viewer1")
    # Once the failures age out (moved back past the window), the user is let in.
    c = d.db()
    c.execute("UPDATE login_failures SET at_us = at_us - 901000000 WHERE key = 'user:locky'")
    c.commit()
    c.close()
    Session(d, "locky")


@test
def lockout_per_address(d, binary):
    e = make_daemon(binary, sets=["auth.lockout-address-attempts=3"], users=("viewer1",))
    try:
        for u in ("ghost1", "ghost2", "ghost3"):
            st, _, _ = raw(e, "POST", "/api/v1/login", {"username": u, "password": "nope-nope"})
            assert st == 401, st
        st, _, b = raw(e, "POST", "/api/v1/login", {"username": "viewer1",
                                                    "password": PASSWORDS["viewer1"]})
        assert st == 429 and b["error"] == "locked", (st, b)
    finally:
        close_daemon(e)


@test
def logout_deletes_session_and_clears_cookie(d):
    s = Session(d, "viewer1")
    st, b = s.req("POST", "/api/v1/logout", csrf=False)
    assert st == 403 and b == {"error": "csrf"}, (st, b)
    st, h, body = raw(d, "POST", "/api/v1/logout",
                      headers={"Cookie": "canh_session=" + s.cookie, "X-CSRF-Token": s.csrf})
    assert st == 204 and body == b"", (st, body)
    assert "Max-Age=0" in h["set-cookie"][0] and h["set-cookie"][0].startswith("canh_session=;")
    st, b = s.req("GET", "/api/v1/whoami")
    assert st == 401, (st, b)
    digest = hashlib.sha256(s.cookie.encode()).digest()
    assert d.count("SELECT count(*) FROM sessions WHERE hash = ?", (digest,)) == 0


@test
def idle_session_expires(d):
    s = Session(d, "viewer1")
    assert s.req("GET", "/api/v1/whoami")[0] == 200
    c = d.db()
    c.execute("UPDATE sessions SET last_us = last_us - 28801000000 WHERE hash = ?",
              (hashlib.sha256(s.cookie.encode()).digest(),))
    c.commit()
    c.close()
    st, b = s.req("GET", "/api/v1/whoami")
    assert st == 401, (st, b)
    # Sessions idle past the limit are also purged at the next login.
    stale = Session(d, "viewer1")
    c = d.db()
    c.execute("UPDATE sessions SET last_us = last_us - 28801000000 WHERE hash = ?",
              (hashlib.sha256(stale.cookie.encode()).digest(),))
    c.commit()
    c.close()
    Session(d, "analyst1")
    assert d.count("SELECT count(*) FROM sessions WHERE hash = ?",
                   (hashlib.sha256(stale.cookie.encode()).digest(),)) == 0


@test
def csrf_required_on_changes(d):
    post(d, [alert(src="10.2.0.1")])
    iid = incident_of(d, "10.2.0.1")["id"]
    s = Session(d, "analyst1")
    path = "/api/v1/incidents/%d/comments" % iid
    st, b = s.req("POST", path, {"body": "no token"}, csrf=False)
    assert st == 403 and b == {"error": "csrf"}, (st, b)
    st, b = s.req("POST", path, {"body": "bad token"}, headers={"X-CSRF-Token": "0" * 64})
    assert st == 403 and b == {"error": "csrf"}, (st, b)
    st, b = s.req("PATCH", "/api/v1/incidents/%d" % iid, {"status": "acknowledged"}, csrf=False)
    assert st == 403, (st, b)
    st, b = s.req("POST", path, {"body": "with token"})
    assert st == 201, (st, b)
    st, b = s.req("PATCH", "/api/v1/incidents/%d" % iid, {"status": "acknowledged"})
    assert st == 200 and b["status"] == "acknowledged", (st, b)
    # Reads need no token; bearer tokens need none either.
    assert s.req("GET", "/api/v1/incidents/%d" % iid)[0] == 200
    st, b = bearer(d, "POST", path, d.tokens["analyst1"], {"body": "script"})
    assert st == 201, (st, b)


@test
def viewer_is_refused_every_change(d):
    post(d, [alert(src="10.2.1.1")])
    iid = incident_of(d, "10.2.1.1")["id"]
    s = Session(d, "viewer1")
    changes = [
        ("PATCH", "/api/v1/incidents/%d" % iid, {"status": "acknowledged"}),
        ("POST", "/api/v1/incidents/%d" % iid, {"assignee": "viewer1"}),
        ("POST", "/api/v1/incidents/%d/comments" % iid, {"body": "x"}),
        ("POST", "/api/v1/incidents/bulk", {"ids": [iid], "status": "acknowledged"}),
        ("POST", "/api/v1/incidents/%d/merge" % iid, {"into": 1}),
        ("POST", "/api/v1/incidents/%d/events/move" % iid, {"event_id": "s1:1", "to": 1}),
        ("POST", "/api/v1/suppressions", {"rule_id": RULE_SCAN, "reason": "x",
                                          "expires": "2099-01-01T00:00:00Z"}),
        ("DELETE", "/api/v1/suppressions/1", None),
        ("POST", "/api/v1/sensors", {"name": "evil"}),
        ("POST", "/api/v1/users", {"name": "evil", "role": "admin"}),
        ("POST", "/api/v1/tokens", {"user": "viewer1"}),
        ("DELETE", "/api/v1/tokens/1", None),
    ]
    for method, path, body in changes:
        st, b = s.req(method, path, body)
        assert st == 403 and "error" in b, (method, path, st, b)
        st, b = bearer(d, method, path, d.tokens["viewer1"], body)
        assert st == 403, ("token", method, path, st, b)
    assert get_inc(d, iid)["status"] == "new"
    assert d.count("SELECT count(*) FROM comments WHERE incident_id = ?", (iid,)) == 0
    # An analyst may not close or merge (responder).
    a = Session(d, "analyst1")
    st, b = a.req("POST", "/api/v1/incidents/bulk", {"ids": [iid], "status": "resolved"})
    assert st == 403, (st, b)
    st, b = a.req("POST", "/api/v1/incidents/%d/merge" % iid, {"into": 1})
    assert st == 403, (st, b)


@test
def prefs_are_stored_per_user(d):
    s = Session(d, "responder1")
    st, b = s.req("PUT", "/api/v1/me/prefs", {"lang": "en", "tz": "UTC"})
    assert st == 200 and b == {"lang": "en", "tz": "UTC"}, (st, b)
    st, b = s.req("PUT", "/api/v1/me/prefs", {"lang": "fr"})
    assert st == 400, (st, b)
    st, b = s.req("PUT", "/api/v1/me/prefs", {"tz": "../../etc/passwd"})
    assert st == 400, (st, b)
    st, b = s.req("PUT", "/api/v1/me/prefs", {"tz": "Asia/Bangkok"}, csrf=False)
    assert st == 403, (st, b)
    assert s.req("GET", "/api/v1/whoami")[1]["lang"] == "en"
    again = Session(d, "responder1")
    assert again.login["lang"] == "en" and again.login["tz"] == "UTC", again.login
    assert d.count("SELECT lang FROM users WHERE name = 'responder1'") == "en"
    st, b = bearer(d, "GET", "/api/v1/whoami", d.tokens["responder1"])
    assert st == 200 and b["user"] == "responder1" and b["csrf"] is None and b["tz"] == "UTC", b

# ---- queue ------------------------------------------------------------------


@test
def incident_carries_title_vi_and_why(d):
    post(d, [alert(src="10.3.0.1"), alert(src="10.3.0.1")])
    inc = incident_of(d, "10.3.0.1")
    assert inc["title_vi"] == "Quét thử nghiệm theo nguồn", inc
    full = get_inc(d, inc["id"])
    why = full["why"]
    assert why["rule_id"] == RULE_SCAN and why["rule_title"] == "Portal test scan by source", why
    assert why["group_fields"] == {"src_ip": "10.3.0.1"}, why
    assert why["group_key"] == inc["group_key"] and "matched" in why, why
    assert full["es_links"]["src"] == "https://search.example/q?ip=10.3.0.1", full["es_links"]
    assert full["suppressed_count"] == 0
    post(d, [alert(src="10.3.0.1", sig=9100002)])
    other = incident_of(d, "10.3.0.1", RULE_OTHER)
    assert other["title_vi"] is None, other
    rel = [r["id"] for r in get_inc(d, inc["id"])["related"]]
    assert other["id"] in rel and inc["id"] not in rel, rel


@test
def sort_and_updated_since(d):
    post(d, [alert(src="10.4.0.1")] * 1 + [alert(src="10.4.0.2") for _ in range(3)] +
         [alert(src="10.4.0.3") for _ in range(2)] + [alert(src="10.4.0.9", sig=9100002)])
    tok = d.tokens["viewer1"]
    for key in ("event_count", "severity", "id", "first_seen", "last_seen"):
        field = {"first_seen": "first_seen", "last_seen": "last_seen"}.get(key, key)
        for sign in ("", "-"):
            st, b = bearer(d, "GET", "/api/v1/incidents?limit=500&sort=%s%s" % (sign, key), tok)
            assert st == 200, (st, b)
            vals = [i[field] for i in b["incidents"]]
            assert vals == sorted(vals, reverse=bool(sign)), (key, sign, vals)
    st, b = bearer(d, "GET", "/api/v1/incidents?sort=title", tok)
    assert st == 400, (st, b)
    st, b = bearer(d, "GET", "/api/v1/incidents?limit=500", tok)
    newest = max(i["updated"] for i in b["incidents"])
    time.sleep(0.01)
    post(d, [alert(src="10.4.0.2")])
    st, b = bearer(d, "GET", "/api/v1/incidents?updated_since=%s" % newest.replace("+", "%2B"),
                   tok)
    assert st == 200, (st, b)
    assert [i["group_fields"]["src_ip"] for i in b["incidents"]] == ["10.4.0.2"], b
    st, b = bearer(d, "GET", "/api/v1/incidents?updated_since=yesterday", tok)
    assert st == 400


@test
def counts_per_status(d):
    post(d, [alert(src="10.5.0.%d" % i) for i in range(1, 5)])
    tok = d.tokens["viewer1"]
    st, b = bearer(d, "GET", "/api/v1/incidents?limit=500", tok)
    ids = [i["id"] for i in b["incidents"] if i["group_fields"].get("src_ip", "").startswith(
        "10.5.0.")]
    r = Session(d, "responder1")
    r.req("PATCH", "/api/v1/incidents/%d" % ids[0], {"status": "resolved"})
    r.req("PATCH", "/api/v1/incidents/%d" % ids[1], {"status": "investigating"})
    st, counts = bearer(d, "GET", "/api/v1/incidents/counts", tok)
    assert st == 200, (st, counts)
    assert set(counts) == {"new", "acknowledged", "investigating", "resolved",
                           "false_positive"}, counts
    for status, n in counts.items():
        assert n == d.count("SELECT count(*) FROM incidents WHERE status = ?", (status,)), \
            (status, n)
    st, c2 = bearer(d, "GET", "/api/v1/incidents/counts?address=10.5.0.1&status=new", tok)
    want = {s: d.count("SELECT count(*) FROM incidents WHERE status = ? AND id IN (SELECT "
                       "incident_id FROM incident_entities WHERE value = '10.5.0.1')", (s,))
            for s in counts}
    assert c2 == want and sum(c2.values()) == 1, (c2, want)


@test
def bulk_change(d):
    post(d, [alert(src="10.6.0.%d" % i) for i in range(1, 4)])
    ids = [incident_of(d, "10.6.0.%d" % i)["id"] for i in range(1, 4)]
    s = Session(d, "analyst1")
    st, b = s.req("POST", "/api/v1/incidents/bulk",
                  {"ids": ids + [999999], "status": "acknowledged", "assignee": "analyst1"})
    assert st == 200 and b["updated"] == 3, (st, b)
    assert b["errors"] == [{"id": 999999, "error": "no such incident"}], b
    for i in ids:
        inc = get_inc(d, i)
        assert inc["status"] == "acknowledged" and inc["assignee"] == "analyst1", inc
        acts = [(a["action"], a["actor"]) for a in inc["audit"]]
        assert ("set_status", "analyst1") in acts and ("set_assignee", "analyst1") in acts, acts
    st, b = s.req("POST", "/api/v1/incidents/bulk", {"ids": ids, "status": "bogus"})
    assert st == 400
    st, b = s.req("POST", "/api/v1/incidents/bulk", {"ids": []})
    assert st == 400

# ---- suppressions, merge, move -------------------------------------------------


@test
def suppression_folds_later_hits_and_counts_them(d):
    post(d, [alert(src="10.7.0.1"), alert(src="10.7.0.2")])
    inc = incident_of(d, "10.7.0.1")
    before = inc["event_count"]
    a = Session(d, "analyst1")
    st, b = a.req("POST", "/api/v1/suppressions",
                  {"rule_id": RULE_SCAN, "address": "10.7.0.1", "reason": "pen test",
                   "expires": "2099-01-01T00:00:00Z", "incident": inc["id"]})
    assert st == 201 and isinstance(b["id"], int), (st, b)
    sid = b["id"]
    n_incidents = d.count("SELECT count(*) FROM incidents")
    post(d, [alert(src="10.7.0.1") for _ in range(4)])
    # Folded: the incident did not grow and no incident was opened.
    assert incident_of(d, "10.7.0.1")["event_count"] == before
    assert d.count("SELECT count(*) FROM incidents") == n_incidents
    # Another address of the same rule is not suppressed.
    post(d, [alert(src="10.7.0.2")])
    assert incident_of(d, "10.7.0.2")["event_count"] == 2
    # Another rule from the suppressed address is not suppressed either.
    post(d, [alert(src="10.7.0.1", sig=9100002)])
    assert incident_of(d, "10.7.0.1", RULE_OTHER)["event_count"] == 1
    st, lst = a.req("GET", "/api/v1/suppressions")
    mine = [x for x in lst if x["id"] == sid][0]
    assert mine["hits"] == 4 and mine["created_by"] == "analyst1" and \
        mine["reason"] == "pen test" and mine["address"] == "10.7.0.1", mine
    assert mine["expires"].startswith("2099-01-01T00:00:00"), mine
    full = get_inc(d, inc["id"])
    assert full["suppressed_count"] == 4, full["suppressed_count"]
    assert "suppression_add" in [x["action"] for x in full["audit"]]
    # Removal is audited and later hits count again.
    st, body = a.req("DELETE", "/api/v1/suppressions/%d" % sid)
    assert st == 204, (st, body)
    assert "suppression_delete" in audit_actions(d, inc["id"])
    assert a.req("DELETE", "/api/v1/suppressions/%d" % sid)[0] == 404
    post(d, [alert(src="10.7.0.1")])
    assert incident_of(d, "10.7.0.1")["event_count"] == before + 1


@test
def suppression_by_address_or_rule_alone(d):
    a = Session(d, "analyst1")
    st, b = a.req("POST", "/api/v1/suppressions", {"address": "10.8.0.1", "reason": "scanner",
                                                   "expires": "2099-01-01T00:00:00Z"})
    assert st == 201, (st, b)
    addr_sid = b["id"]
    # The address as destination matches too.
    post(d, [alert(src="10.8.0.1"), alert(src="10.8.0.5", dest="10.8.0.1", sig=9100002)])
    assert d.count("SELECT count(*) FROM incident_entities WHERE value = '10.8.0.1'") == 0
    assert d.count("SELECT hits FROM suppressions WHERE id = ?", (addr_sid,)) == 2
    st, b = a.req("POST", "/api/v1/suppressions", {"rule_id": RULE_OTHER, "reason": "noisy",
                                                   "expires": "2099-01-01T00:00:00Z"})
    assert st == 201, (st, b)
    post(d, [alert(src="10.8.0.7", sig=9100002), alert(src="10.8.0.7")])
    assert d.count("SELECT hits FROM suppressions WHERE id = ?", (b["id"],)) == 1
    assert incident_of(d, "10.8.0.7")["event_count"] == 1
    a.req("DELETE", "/api/v1/suppressions/%d" % b["id"])
    a.req("DELETE", "/api/v1/suppressions/%d" % addr_sid)
    for bad in ({"reason": "x", "expires": "2099-01-01T00:00:00Z"},
                {"rule_id": RULE_SCAN, "expires": "2099-01-01T00:00:00Z"},
                {"rule_id": RULE_SCAN, "reason": "x", "expires": "2001-01-01T00:00:00Z"},
                {"address": "not-an-ip", "reason": "x", "expires": "2099-01-01T00:00:00Z"},
                {"rule_id": RULE_SCAN, "reason": "x", "expires": "soon"}):
        st, b = a.req("POST", "/api/v1/suppressions", bad)
        assert st == 400, (bad, st, b)
    st, b = a.req("POST", "/api/v1/suppressions", {"rule_id": RULE_SCAN, "reason": "x",
                                                   "expires": "2099-01-01T00:00:00Z",
                                                   "incident": 999999})
    assert st == 404, (st, b)


@test
def merge_moves_everything_and_is_audited(d):
    post(d, [alert(src="10.9.0.1"), alert(src="10.9.0.1"), alert(src="10.9.0.2")])
    a, b = incident_of(d, "10.9.0.1"), incident_of(d, "10.9.0.2")
    r = Session(d, "responder1")
    assert r.req("POST", "/api/v1/incidents/%d/comments" % a["id"], {"body": "on A"})[0] == 201
    st, body = r.req("POST", "/api/v1/incidents/%d/merge" % a["id"], {"into": b["id"]})
    assert st == 200 and body == {"merged": a["id"], "into": b["id"]}, (st, body)
    fa, fb = get_inc(d, a["id"]), get_inc(d, b["id"])
    assert fa["status"] == "resolved" and fa["disposition"] == "duplicate", fa
    assert fa["event_count"] == 0 and fb["event_count"] == 3, (fa["event_count"],
                                                               fb["event_count"])
    assert [c["body"] for c in fb["comments"]] == ["on A"], fb["comments"]
    assert "10.9.0.1" in fb["src"] and "10.9.0.2" in fb["src"], fb["src"]
    note = "merged #%d into #%d" % (a["id"], b["id"])
    for inc in (fa, fb):
        m = [x for x in inc["audit"] if x["action"] == "merge"]
        assert m and m[0]["detail"]["note"] == note and m[0]["actor"] == "responder1", inc["audit"]
    assert d.count("SELECT count(*) FROM incident_events WHERE incident_id = ?", (b["id"],)) == 3
    assert r.req("POST", "/api/v1/incidents/%d/merge" % b["id"], {"into": b["id"]})[0] == 400
    assert r.req("POST", "/api/v1/incidents/%d/merge" % b["id"], {"into": 999999})[0] == 404


@test
def move_event_between_incidents(d):
    post(d, [alert(src="10.10.0.1"), alert(src="10.10.0.1"), alert(src="10.10.0.2")])
    a, b = incident_of(d, "10.10.0.1"), incident_of(d, "10.10.0.2")
    ev = get_inc(d, a["id"])["events"][0]["id"]
    s = Session(d, "analyst1")
    st, body = s.req("POST", "/api/v1/incidents/%d/events/move" % a["id"],
                     {"event_id": ev, "to": b["id"]})
    assert st == 200, (st, body)
    fa, fb = get_inc(d, a["id"]), get_inc(d, b["id"])
    assert fa["event_count"] == 1 and fb["event_count"] == 2, (fa["event_count"],
                                                               fb["event_count"])
    assert ev in [e["id"] for e in fb["events"]] and ev not in [e["id"] for e in fa["events"]]
    for inc in (fa, fb):
        assert any(x["action"] == "event_move" and x["detail"]["event_id"] == ev
                   for x in inc["audit"]), inc["audit"]
    st, body = s.req("POST", "/api/v1/incidents/%d/events/move" % a["id"],
                     {"event_id": ev, "to": b["id"]})
    assert st == 404, (st, body)

# ---- dashboard ------------------------------------------------------------------


@test
def dashboard_matches_the_store(d):
    base = "2030-01-02T03:%02d:00.000000+00:00"
    evs = [alert(src="10.20.0.%d" % (i % 3), dest="10.21.0.%d" % (i % 2),
                 sig=9100001 if i % 4 else 9100002, ts=base % (i % 50)) for i in range(40)]
    for i, proto in enumerate(["HTTP", "HTTP", "TLS", "DNS", None]):
        SEQ[0] += 1
        f = event("s1", SEQ[0], event_type="flow", timestamp=base % (10 + i))
        if proto:
            f["ndpi"] = {"protocol": proto}
        else:
            f["app_proto"] = "ssh"
        evs.append(f)
    post(d, evs)
    st, dash = bearer(d, "GET", "/api/v1/dashboard", d.tokens["viewer1"])
    assert st == 200, (st, dash)
    since, until = dash["since"], dash["until"]
    # Default: 24 h up to the newest event in the store.
    assert until.startswith("2030-01-02T03:39:00.000001"), until
    assert since.startswith("2030-01-01T03:39:00.000001"), since
    c = d.db()

    def us(t):
        dt = datetime.datetime.fromisoformat(t)
        return int(dt.replace(microsecond=0).timestamp()) * 1000000 + dt.microsecond
    lo, hi = us(since), us(until)
    rng = "ts_us >= %d AND ts_us < %d" % (lo, hi)
    total = c.execute("SELECT count(*) FROM events WHERE event_type='alert' AND " + rng)
    assert sum(p["n"] for p in dash["alerts_over_time"]) == total.fetchone()[0]
    assert len(dash["alerts_over_time"]) * dash["bucket_seconds"] * 1000000 >= hi - lo
    sigs = c.execute("SELECT sig_id, count(*), max(json_extract(raw,'$.alert.signature')) FROM "
                     "events WHERE event_type='alert' AND sig_id IS NOT NULL AND " + rng +
                     " GROUP BY sig_id ORDER BY 2 DESC, 1 LIMIT 10").fetchall()
    assert [(s["sid"], s["n"], s["signature"]) for s in dash["top_signatures"]] == sigs, \
        (dash["top_signatures"], sigs)
    for key, col in (("top_src", "src_ip"), ("top_dest", "dest_ip")):
        want = c.execute("SELECT %s, count(*) FROM events WHERE event_type='alert' AND %s IS "
                         "NOT NULL AND %s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10" %
                         (col, col, rng)).fetchall()
        assert [(x["ip"], x["n"]) for x in dash[key]] == want, (key, dash[key], want)
    protos = c.execute("SELECT p, count(*) FROM (SELECT coalesce(json_extract(raw,"
                       "'$.ndpi.protocol'), json_extract(raw,'$.app_proto')) p FROM events "
                       "WHERE event_type='flow' AND " + rng + ") WHERE p IS NOT NULL GROUP BY p "
                       "ORDER BY 2 DESC, 1 LIMIT 10").fetchall()
    assert [(x["name"], x["n"]) for x in dash["app_protos"]] == protos, dash["app_protos"]
    assert ("HTTP", 2) in protos and ("ssh", 1) in protos, protos
    inc_total = c.execute("SELECT count(*) FROM incidents WHERE first_us >= ? AND first_us < ?",
                          (lo, hi)).fetchone()[0]
    assert sum(p["n"] for p in dash["incidents_over_time"]) == inc_total and inc_total > 0
    c.close()
    sensors = {s["name"]: s for s in dash["sensors"]}
    assert sensors["s1"]["silent"] is False and sensors["quiet"]["silent"] is True, sensors
    assert set(sensors["s1"]) == {"name", "last_seen", "silent", "pkts_per_s", "drops",
                                  "capture_loss_pct"}, sensors["s1"]
    # An explicit range narrows everything.
    st, narrow = bearer(d, "GET", "/api/v1/dashboard?since=2030-01-02T03:00:00Z&until="
                        "2030-01-02T03:10:00Z", d.tokens["viewer1"])
    assert st == 200 and sum(p["n"] for p in narrow["alerts_over_time"]) == 10, narrow
    assert narrow["bucket_seconds"] == 60 and len(narrow["alerts_over_time"]) == 10
    st, _ = bearer(d, "GET", "/api/v1/dashboard?since=2030-01-02T03:10:00Z&until="
                   "2030-01-02T03:00:00Z", d.tokens["viewer1"])
    assert st == 400

# ---- static files ------------------------------------------------------------------


@test
def static_files_with_types_and_headers(d):
    for path, ctype, text in (("/", "text/html", b"<title>canh</title>"),
                              ("/app.js", "text/javascript", b"export"),
                              ("/app.css", "text/css", b"body"),
                              ("/i18n/vi.json", "application/json", "xin chào".encode()),
                              ("/incident/42", "text/html", b"<title>canh</title>")):
        st, h, body = raw(d, "GET", path)
        assert st == 200, (path, st)
        assert h["content-type"][0].startswith(ctype), (path, h["content-type"])
        assert text in body, (path, body)
        assert h["content-security-policy"] == [CSP], h.get("content-security-policy")
        assert h["x-content-type-options"] == ["nosniff"] and \
            h["referrer-policy"] == ["no-referrer"], h
        etag = h["etag"][0]
        st, h2, body = raw(d, "GET", path, headers={"If-None-Match": etag})
        assert st == 304 and body == b"", (path, st)
    st, h, _ = raw(d, "GET", "/api/v1/whoami")
    assert st == 401 and h["content-security-policy"] == [CSP], h
    st, h, _ = raw(d, "GET", "/missing.js")
    assert st == 404 and h["content-security-policy"] == [CSP]


@test
def static_path_traversal_is_impossible(d):
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2fsecret.txt",
                 "/i18n/..%2f..%2fsecret.txt", "/i18n/../../secret.txt", "/..%2fsecret.txt",
                 "/%2E%2E/secret.txt", "/.hidden", "/%2ehidden", "/link.txt",
                 "/app.js%00.html", "//etc/passwd", "/i18n%2f..%2f..%2fsecret.txt",
                 "/..\\secret.txt", "/%5c..%5csecret.txt"):
        st, h, body = raw(d, "GET", path)
        # "//etc/passwd" parses as authority "etc" + path "/passwd": the page.
        assert st in (400, 404) or body == b"<!doctype html><title>canh</title>\n", \
            (path, st, body)
        assert b"TOP-SECRET" not in body and b"root:" not in body and b"hidden" not in body, \
            (path, body)

# ---- command line -------------------------------------------------------------------


@test
def cli_passwd_and_demo_bootstrap(d, binary):
    r = subprocess.run(d.args() + ["user", "passwd", "viewer1"], input="short\n",
                       capture_output=True, text=True)
    assert r.returncode == 1, r
    r = subprocess.run(d.args() + ["user", "passwd", "nosuchuser"], input="long-enough-1\n",
                       capture_output=True, text=True)
    assert r.returncode == 1, r
    with tempfile.TemporaryDirectory(prefix="canh-demo-") as tmp:
        e = Daemon(binary, data_dir=tmp, rules=RULES, sets=["portal.static-dir=" + tmp])
        e.cli("--demo-bootstrap")
        creds = dict(line.split("=", 1) for line in
                     open(os.path.join(tmp, "demo-credentials")).read().split())
        assert oct(os.stat(os.path.join(tmp, "demo-credentials")).st_mode & 0o777) == "0o600"
        for user, role in (("admin", "admin"), ("viewer1", "viewer"), ("analyst1", "analyst"),
                           ("responder1", "responder")):
            assert "CANH_%s_PASSWORD" % user.upper() in creds, creds.keys()
        assert "CANH_ADMIN_TOKEN" in creds and "CANH_SENSOR_TOKEN" in creds
        # A second run changes nothing and writes no new passwords.
        e.cli("--demo-bootstrap")
        assert open(os.path.join(tmp, "demo-credentials")).read().count("_PASSWORD=") == 4
        e.start()
        try:
            for user, role in (("admin", "admin"), ("viewer1", "viewer"),
                               ("analyst1", "analyst"), ("responder1", "responder")):
                s = Session(e, user, creds["CANH_%s_PASSWORD" % user.upper()])
                assert s.login["role"] == role, s.login
        finally:
            e.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    passed = failed = skipped = 0
    d = make_daemon(binary)
    try:
        for t in TESTS:
            if a.k and a.k not in t.__name__:
                continue
            t0 = time.time()
            try:
                if t.__code__.co_argcount == 2:
                    t(d, binary)
                else:
                    t(d)
                passed += 1
                print("ok   %s (%.1fs)" % (t.__name__, time.time() - t0))
            except Skip as e:
                skipped += 1
                print("skip %s: %s" % (t.__name__, e))
            except Exception:
                failed += 1
                print("FAIL %s" % t.__name__)
                traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
    finally:
        try:
            close_daemon(d)
        except AssertionError as e:
            failed += 1
            print("FAIL daemon exit: %s" % e)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
