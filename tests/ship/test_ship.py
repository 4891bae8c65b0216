#!/usr/bin/env python3
"""Integration suite `ship`: sensor/ship against a real HTTP(S) server.

Each case runs tests/ship/ship_drive (which links the module) against
fake_correlator.FakeCorrelator on 127.0.0.1 and checks what the server
stored: exact delivery, an outage, back-off timing, Retry-After, a bad
event isolated and rejected, a wrong token, the spool bound and a restart
with a backlog, kill -9 mid-run and restart, and TLS verification.
Ends with "N passed, N failed, N skipped" for tests/run.sh.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_correlator import FakeCorrelator  # noqa: E402

ARGS = None


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def workdir(name):
    d = os.path.join(ARGS.work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def drive(url, spool, *extra, timeout=90):
    cmd = [ARGS.drive, "--url", url, "--spool", spool] + [str(x) for x in extra]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       text=True)
    if p.returncode != 0:
        raise Fail("ship_drive exit %d: %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, secs=15.0):
    end = time.monotonic() + secs
    while not cond() and time.monotonic() < end:
        time.sleep(0.02)
    return cond()


def ids(lo, hi):
    return {"drv:%d" % i for i in range(lo, hi)}


# ---- cases ----------------------------------------------------------------

def t_exact_delivery():
    srv = FakeCorrelator()
    port = srv.start()
    try:
        st = drive("http://127.0.0.1:%d" % port, workdir("exact"), "--count", 5000,
                   "--batch-events", 200)
    finally:
        srv.stop()
    check(set(srv.stored) == ids(0, 5000), "stored %d of 5000" % len(srv.stored))
    check(all(len(v) == 1 for v in srv.received.values()), "an event arrived twice")
    check(st["shipped"] == 5000 and st["appended"] == 5000, "stats %s" % st)
    check(st["send_errors"] == 0 and st["spool_bytes"] == 0, "stats %s" % st)
    sizes = [len(r["ids"]) for r in srv.requests]
    check(max(sizes) <= 200, "batch of %d > batch-events" % max(sizes))
    check(st["batches_sent"] == len(srv.requests), "batches %s vs %d" % (st, len(srv.requests)))
    check(st["fsyncs"] < 5000, "no group commit: %d fsyncs" % st["fsyncs"])


def t_outage_no_loss():
    srv = FakeCorrelator()
    port = srv.start()
    spool = workdir("outage")
    p = subprocess.Popen([ARGS.drive, "--url", "http://127.0.0.1:%d" % port, "--spool", spool,
                          "--count", "3000", "--every", "50", "--sleep-us", "500",
                          "--drain", "30000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(srv.stored) > 0)  # a slow (ASan) start must not miss the outage
        srv.stop()
        before = len(srv.stored)
        time.sleep(1.5)
        srv.start(port)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        srv.stop()
    st = json.loads(out.strip().splitlines()[-1])
    check(0 < before < 3000, "the outage did not fall mid-run (%d stored before)" % before)
    check(set(srv.stored) == ids(0, 3000), "stored %d of 3000" % len(srv.stored))
    check(st["send_errors"] > 0 and st["retries"] > 0, "no failure seen: %s" % st)
    check(st["shipped"] == 3000 and st["spool_bytes"] == 0, "stats %s" % st)


def t_backoff_with_jitter():
    srv = FakeCorrelator()
    srv.script = [503, 500, 503, 500]
    port = srv.start()
    try:
        st = drive("http://127.0.0.1:%d" % port, workdir("backoff"), "--count", 10,
                   "--every", 10)
    finally:
        srv.stop()
    t = [r["t"] for r in srv.requests]
    check(len(t) == 5 and [r["status"] for r in srv.requests] == [503, 500, 503, 500, 200],
          "requests %s" % [r["status"] for r in srv.requests])
    gaps = [b - a for a, b in zip(t, t[1:])]
    for k, g in enumerate(gaps):
        d = 0.25 * (2 ** k)
        # equal jitter: between d/2 and d, plus scheduling slack
        check(d / 2 * 0.95 <= g <= d + 0.4, "gap %d = %.3fs outside [%.3f, %.3f]" %
              (k, g, d / 2, d))
    check(gaps[3] > gaps[0] * 2, "no exponential growth: %s" % gaps)
    check(st["send_errors"] == 4 and st["retries"] == 4 and st["shipped"] == 10, "stats %s" % st)
    check(set(srv.stored) == ids(0, 10), "stored %d of 10" % len(srv.stored))


def t_retry_after_honoured():
    srv = FakeCorrelator()
    srv.script = [(429, 2)]
    port = srv.start()
    try:
        st = drive("http://127.0.0.1:%d" % port, workdir("retryafter"), "--count", 5)
    finally:
        srv.stop()
    t = [r["t"] for r in srv.requests]
    check(len(t) == 2 and t[1] - t[0] >= 1.9, "Retry-After: 2 not honoured: %s" % t)
    check(st["shipped"] == 5, "stats %s" % st)


def t_bad_event_isolated_and_rejected():
    srv = FakeCorrelator()
    port = srv.start()
    spool = workdir("bad")
    try:
        st = drive("http://127.0.0.1:%d" % port, spool, "--count", 500, "--bad-at", 137,
                   "--batch-events", 100, "--every", 500)
    finally:
        srv.stop()
    check(set(srv.stored) == ids(0, 500) - {"drv:137"}, "stored %d, expected 499" %
          len(srv.stored))
    check(st["rejected"] == 1 and st["shipped"] == 499, "stats %s" % st)
    bad = [r for r in srv.requests if r["status"] == 400]
    check(1 <= len(bad) <= 8, "%d 400s for one bad event in a batch of 100" % len(bad))
    rej = os.path.join(spool, "rejected")
    text = "".join(open(os.path.join(rej, f)).read() for f in os.listdir(rej))
    check(text.count("\n") == 1 and '"drv:137"' in text, "rejected/ holds %r" % text[:200])


def t_wrong_token_keeps_events():
    srv = FakeCorrelator()
    port = srv.start()
    spool = workdir("token")
    try:
        st = drive("http://127.0.0.1:%d" % port, spool, "--count", 20, "--token", "wrong",
                   "--drain", 1500)
        check(st["shipped"] == 0 and st["rejected"] == 0 and st["spool_bytes"] > 0,
              "a 401 must keep events spooled: %s" % st)
        check(all(r["status"] == 401 for r in srv.requests) and len(srv.requests) >= 2,
              "requests %s" % srv.requests)
        st = drive("http://127.0.0.1:%d" % port, spool, "--count", 0)
    finally:
        srv.stop()
    check(set(srv.stored) == ids(0, 20) and st["shipped"] == 20, "after the fix: %s" % st)


def t_wrong_url_keeps_events():
    srv = FakeCorrelator()
    port = srv.start()
    spool = workdir("url")
    try:
        st = drive("http://127.0.0.1:%d/api/v2/nope" % port, spool, "--count", 5,
                   "--drain", 800)
        check(st["shipped"] == 0 and st["rejected"] == 0 and st["send_errors"] > 0,
              "a 404 must keep events spooled: %s" % st)
        st = drive("http://127.0.0.1:%d/" % port, spool, "--count", 0)
    finally:
        srv.stop()
    check(set(srv.stored) == ids(0, 5) and st["shipped"] == 5, "after the fix: %s" % st)


def t_bound_drops_flow_first_then_restart_resumes():
    port = free_port()  # nothing listens: the correlator is down
    url = "http://127.0.0.1:%d" % port
    spool = workdir("bound")
    st = drive(url, spool, "--count", 3000, "--alert-every", 20, "--pad", 100,
               "--max-bytes", 262144, "--drain", 0)
    check(st["dropped_flow"] > 0, "nothing dropped at the bound: %s" % st)
    check(st["dropped_other"] == 0, "alerts dropped before flows: %s" % st)
    check(st["appended"] + st["dropped_flow"] == 3000, "drops not all counted: %s" % st)
    check(st["spool_bytes"] <= 262144 and st["shipped"] == 0, "stats %s" % st)
    appended = st["appended"]
    srv = FakeCorrelator()
    srv.port = port
    srv.start()
    try:
        st = drive(url, spool, "--count", 0, "--drain", 30000)
    finally:
        srv.stop()
    check(st["shipped"] == appended, "restart shipped %d of %d" % (st["shipped"], appended))
    check(len(srv.stored) == appended, "stored %d of %d" % (len(srv.stored), appended))
    alerts = {"drv:%d" % i for i in range(0, 3000, 20)}
    check(alerts <= set(srv.stored), "alerts missing: %d" % len(alerts - set(srv.stored)))


def t_kill9_mid_run_then_restart():
    srv = FakeCorrelator()
    port = srv.start()
    url = "http://127.0.0.1:%d" % port
    spool = workdir("kill9")
    prog = os.path.join(spool, "..", "kill9.progress")
    p = subprocess.Popen([ARGS.drive, "--url", url, "--spool", spool, "--count", "1000000",
                          "--every", "20", "--sleep-us", "50", "--progress", prog,
                          "--batch-events", "200", "--max-bytes", "4000000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(srv.stored) > 0)
        time.sleep(1.0)
        p.send_signal(signal.SIGKILL)
        p.wait()
        fsynced = int(open(prog).read().strip() or -1)
        before = len(srv.stored)
        st = drive(url, spool, "--from", 5000000, "--count", 10, "--drain", 30000,
                   "--max-bytes", 4000000)
    finally:
        if p.poll() is None:
            p.kill()
        srv.stop()
    check(0 < fsynced < 999999, "the kill did not fall mid-run (fsynced %d)" % fsynced)
    check(before > 0, "nothing delivered before the kill")
    missing = ids(0, fsynced + 1) - set(srv.stored)
    check(not missing, "%d fsynced events lost, e.g. %s" % (len(missing), sorted(missing)[:3]))
    check(ids(5000000, 5000010) <= set(srv.stored), "events after the restart missing")
    dups = {k: v for k, v in srv.received.items() if len(v) > 1}
    check(all(len(set(v)) == 1 for v in dups.values()), "a resend differs from the original")
    check(len(dups) <= 200, "%d events resent, more than one batch" % len(dups))
    check(st["spool_bytes"] == 0, "spool not empty after restart: %s" % st)
    segs = [f for f in os.listdir(spool) if f.endswith(".ndjson")]
    check(len(segs) <= 2, "shipped segments left behind: %s" % segs)
    print("    kill9: %d fsynced before the kill, %d resent after restart" %
          (fsynced + 1, len(dups)))


def t_tls_verification():
    if shutil.which("openssl") is None:
        return "openssl command not found"
    d = workdir("tls")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = FakeCorrelator(certfile=cert, keyfile=key)
    port = srv.start()
    url = "https://127.0.0.1:%d" % port
    try:
        st = drive(url, os.path.join(d, "s1"), "--count", 100, "--ca", cert)
        check(st["shipped"] == 100 and set(srv.stored) == ids(0, 100), "with CA: %s" % st)
        st = drive(url, os.path.join(d, "s2"), "--from", 1000, "--count", 50, "--drain", 1000)
        check(st["shipped"] == 0 and st["send_errors"] > 0, "unverified cert accepted: %s" % st)
        check(not (ids(1000, 1050) & set(srv.stored)), "events went to an unverified peer")
        st = drive(url, os.path.join(d, "s2"), "--count", 0, "--ca", cert)
        check(ids(1000, 1050) <= set(srv.stored) and st["shipped"] == 50, "resume: %s" % st)
    finally:
        srv.stop()


CASES = [t_exact_delivery, t_outage_no_loss, t_backoff_with_jitter, t_retry_after_honoured,
         t_bad_event_isolated_and_rejected, t_wrong_token_keeps_events, t_wrong_url_keeps_events,
         t_bound_drops_flow_first_then_restart_resumes, t_kill9_mid_run_then_restart,
         t_tls_verification]


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--drive", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("only", nargs="*")
    ARGS = ap.parse_args()
    ARGS.drive = os.path.abspath(ARGS.drive)
    ARGS.work = os.path.abspath(ARGS.work)
    os.makedirs(ARGS.work, exist_ok=True)
    passed = failed = skipped = 0
    for case in CASES:
        name = case.__name__[2:]
        if ARGS.only and not any(o in name for o in ARGS.only):
            continue
        t0 = time.monotonic()
        try:
            why = case()
        except Fail as e:
            failed += 1
            print("FAIL %s: %s" % (name, e), flush=True)
            continue
        except Exception:  # a harness error is a failure too
            failed += 1
            print("FAIL %s: %s" % (name, traceback.format_exc()), flush=True)
            continue
        if why:
            skipped += 1
            print("skip %s: %s" % (name, why), flush=True)
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
