#!/usr/bin/env python3
"""Suite `live`: three sites, three live sensors, one correlator, all inside
network namespaces (root only).

Topology (every address in 10.77.0.0/16; nothing leaves the namespaces):
  canh-soc          correlator on 10.77.200.1:8470 (address on its lo)
  canh-<site>       sensor capturing with libpcap on "cap" (no address, IPv6
                    off, so the kernel sends nothing on it); "ctl"
                    10.77.10N.2/24 <-> soc "sN" 10.77.10N.1/24 carries EVE
  canh-<site>-wan   "tap", the peer of "cap", owns the site's test hosts
                    (10.77.N.10, 10.77.N.20) and the shared attacker
                    10.77.99.66; tcpreplay sends the site's capture from it
Captures: corpus esnet-nmap-80-all.pcap (ICMP errors left out: their quoted
headers would name the original hosts) and ndpi-synscan.pcap, rewritten with
tcprewrite --pnat so the scanner is 10.77.99.66 at every site and the
targets are the site's hosts; checked with tshark to name no other address.
Checks: packets counted = packets replayed and no kernel drops per sensor,
the cross-sensor Sigma rule opens an incident naming all three sites, and a
stopped sensor turns silent in /api/v1/sensors and /metrics within 60 s.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITES = [  # (sensor id / namespace suffix, site number, description)
    ("datacentre", 1, "provincial data centre"),
    ("peoples-committee", 2, "People's Committee office"),
    ("party-committee", 3, "Party Committee office"),
]
ATTACKER = "10.77.99.66"
CORR_ADDR = "10.77.200.1"
PPS = 2000
SILENT_AFTER = 10
NS_PREFIX = "canh-"


# No proxy from the environment: every request stays in the namespaces.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def enter_netns(name):
    """Move this process into a named network namespace (as `ip netns exec`
    does), so that its API calls reach the correlator and nothing else."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


def nsx(ns, *cmd, **kw):
    return sh(["ip", "netns", "exec", ns] + list(cmd), **kw)


class Live:
    def __init__(self, build, corpus):
        self.build, self.corpus = build, corpus
        self.tmp = tempfile.mkdtemp(prefix="canh-live-")
        self.procs, self.namespaces = {}, []
        self.results = []
        self.url = "http://%s:8470" % CORR_ADDR
        self.tokens, self.admin = {}, None
        self.replayed = {}

    # ---- results -------------------------------------------------------------
    def result(self, name, ok, detail=""):
        self.results.append((name, ok))
        print("%s %s%s" % ("ok  " if ok is True else ("skip" if ok is None else "FAIL"),
                           name, (": " + detail) if detail else ""), flush=True)

    # ---- network -------------------------------------------------------------
    def ns_add(self, name):
        sh(["ip", "netns", "add", name])
        self.namespaces.append(name)
        for k in ("all", "default"):
            nsx(name, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % k)
        nsx(name, "ip", "link", "set", "lo", "up")

    def network(self):
        soc = NS_PREFIX + "soc"
        self.ns_add(soc)
        nsx(soc, "ip", "addr", "add", CORR_ADDR + "/32", "dev", "lo")
        for site, n, _ in SITES:
            ns, wan = NS_PREFIX + site, NS_PREFIX + site + "-wan"
            self.ns_add(ns)
            self.ns_add(wan)
            # EVE path: site ctl <-> soc sN
            nsx(soc, "ip", "link", "add", "s%d" % n, "type", "veth", "peer", "name", "ctl",
                "netns", ns)
            nsx(soc, "ip", "addr", "add", "10.77.%d.1/24" % (100 + n), "dev", "s%d" % n)
            nsx(soc, "ip", "link", "set", "s%d" % n, "up")
            nsx(ns, "ip", "addr", "add", "10.77.%d.2/24" % (100 + n), "dev", "ctl")
            nsx(ns, "ip", "link", "set", "ctl", "up")
            nsx(ns, "ip", "route", "add", CORR_ADDR + "/32", "via", "10.77.%d.1" % (100 + n))
            # capture path: site cap <-> wan tap
            nsx(ns, "ip", "link", "add", "cap", "type", "veth", "peer", "name", "tap",
                "netns", wan)
            for a in ("10.77.%d.10/24" % n, "10.77.%d.20/32" % n, ATTACKER + "/32"):
                nsx(wan, "ip", "addr", "add", a, "dev", "tap")
            nsx(wan, "ip", "link", "set", "tap", "up")
            nsx(ns, "ip", "link", "set", "cap", "up")

    def cleanup(self):
        for name, p in list(self.procs.items()):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for ns in reversed(self.namespaces):
            sh(["ip", "netns", "del", ns], check=False)
        self.namespaces = []
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- captures ------------------------------------------------------------
    def rewrite(self, site, n):
        c = os.path.join(self.corpus, "pcaps")
        out = os.path.join(self.tmp, site)
        os.makedirs(out, exist_ok=True)
        nmap = os.path.join(out, "nmap-noicmp.pcap")
        sh(["tshark", "-r", os.path.join(c, "esnet-nmap-80-all.pcap"), "-Y", "!icmp",
            "-w", nmap, "-F", "pcap"])
        mac = ["--enet-smac=02:77:00:00:%02x:01" % n, "--enet-dmac=02:77:00:00:%02x:02" % n,
               "--fixcsum"]
        parts = []
        for src, pnat in ((nmap, "10.87.1.10/32:%s/32,130.211.223.103/32:10.77.%d.10/32"),
                          (os.path.join(c, "ndpi-synscan.pcap"),
                           "172.16.0.8/32:%s/32,64.13.134.52/32:10.77.%d.20/32")):
            dst = os.path.join(out, "part%d.pcap" % len(parts))
            sh(["tcprewrite", "--infile=" + src, "--outfile=" + dst,
                "--pnat=" + pnat % (ATTACKER, n)] + mac)
            parts.append(dst)
        merged = os.path.join(out, "replay.pcap")
        sh(["mergecap", "-a", "-F", "pcap", "-w", merged] + parts)
        r = sh(["tshark", "-r", merged, "-T", "fields", "-e", "ip.addr", "-e", "ipv6.addr",
                "-e", "arp.src.proto_ipv4", "-e", "arp.dst.proto_ipv4"])
        addrs, count = set(), 0
        for line in r.stdout.splitlines():
            count += 1
            addrs |= {a for a in re.split(r"[,\t]", line) if a}
        allowed = {ATTACKER, "10.77.%d.10" % n, "10.77.%d.20" % n}
        return merged, count, addrs, allowed

    # ---- daemons -------------------------------------------------------------
    def api(self, path, token=None, raw=False):
        req = urllib.request.Request(self.url + path, headers={
            "Authorization": "Bearer " + (token or self.admin)})
        with OPENER.open(req, timeout=10) as r:
            body = r.read().decode()
        return body if raw else json.loads(body)

    def correlator(self):
        soc = NS_PREFIX + "soc"
        data = os.path.join(self.tmp, "corr")
        os.makedirs(data)
        base = [os.path.join(self.build, "canh-correlator"), "--set", "data-dir=" + data]
        for site, _, _ in SITES:
            out = nsx(soc, *base, "sensor", "add", site).stdout
            self.tokens[site] = out.strip().splitlines()[-1]
        nsx(soc, *base, "user", "add", "soc-admin", "admin")
        self.admin = nsx(soc, *base, "token", "create", "soc-admin").stdout.strip().splitlines()[-1]
        log = open(os.path.join(self.tmp, "correlator.log"), "w")
        self.procs["correlator"] = subprocess.Popen(
            ["ip", "netns", "exec", soc] + base + [
                "--set", "listen.address=" + CORR_ADDR, "--set", "listen.port=8470",
                "--set", "rules-dir=" + os.path.join(TOP, "rules"),
                "--set", "health.sensor-silent-after=%d" % SILENT_AFTER,
                "--port-file", os.path.join(data, "port")],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(os.path.join(data, "port")):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("correlator did not start: " + self.log("correlator.log"))

    def log(self, name):
        try:
            return open(os.path.join(self.tmp, name)).read()[-3000:]
        except OSError:
            return ""

    def scan_rules(self):
        """ET Open's scan rules: real rules that fire on these captures."""
        out = os.path.join(self.tmp, "et-scan.rules")
        with open(os.path.join(self.corpus, "rules", "et-open.rules")) as f, open(out, "w") as o:
            for line in f:
                if line.startswith("alert ") and '"ET SCAN ' in line:
                    o.write(line)
        return out

    def sensor(self, site, n, rules):
        ns = NS_PREFIX + site
        d = os.path.join(self.tmp, site, "sensor")
        os.makedirs(d, exist_ok=True)
        sig = os.path.join(TOP, "signatures")
        log = open(os.path.join(self.tmp, site + ".log"), "w")
        self.procs[site] = subprocess.Popen(
            ["ip", "netns", "exec", ns, os.path.join(self.build, "canh-sensor"), "-i", "cap",
             "-l", d, "-S", rules, "--set", "sensor-id=" + site,
             "--set", "stats.interval=2",
             "--set", "vars.address-groups.HOME_NET=[10.77.%d.0/24]" % n,
             "--set", "vars.address-groups.EXTERNAL_NET=!$HOME_NET",
             "--set", "classification-file=%s/classification.config" % sig,
             "--set", "reference-config-file=%s/reference.config" % sig,
             "--set", "threshold-file=%s/threshold.config" % sig,
             "--set", "detect.sgh-mpm-caching-path=" + os.path.join(self.tmp, "sgh"),
             "--set", "outputs.correlator.enabled=yes",
             "--set", "outputs.correlator.url=" + self.url,
             "--set", "outputs.correlator.token=" + self.tokens[site],
             "--set", "outputs.correlator.spool-dir=" + os.path.join(d, "spool")],
            stdout=log, stderr=subprocess.STDOUT)

    def sensors_by_name(self):
        return {s["name"]: s for s in self.api("/api/v1/sensors")["sensors"]}

    def last_stats(self, site):
        last = None
        with open(os.path.join(self.tmp, site, "sensor", "eve.json")) as f:
            for line in f:
                if '"event_type":"stats"' in line:
                    last = json.loads(line)["stats"]
        return last

    def health(self):
        with OPENER.open(self.url + "/healthz", timeout=10) as r:  # no token
            hz = json.loads(r.read().decode())
        self.result("/healthz answers ok without a token, no sensor silent",
                    hz.get("status") == "ok" and hz.get("sensors") == 3
                    and hz.get("sensors_silent") == 0, json.dumps(hz))
        try:
            OPENER.open(self.url + "/metrics", timeout=10)
            anon = 200
        except urllib.error.HTTPError as e:
            anon = e.code
        text = self.api("/metrics", raw=True)
        typed, bad, vals = set(), [], {}
        line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="(?:[^"\\]|\\.)*"'
                             r'(?:,[a-z_]+="(?:[^"\\]|\\.)*")*\})? (-?[0-9.e+-]+|NaN)$')
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                typed.add(line.split()[2])
            elif not line.startswith("# HELP "):
                m = line_re.match(line)
                if not m or m.group(1) not in typed:
                    bad.append(line)
                else:
                    vals[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        self.result("/metrics needs a token and is valid Prometheus text",
                    anon == 401 and not bad and len(vals) > 20,
                    "anonymous %d, %d samples, bad lines %s" % (anon, len(vals), bad[:3]))
        want = [vals.get('canh_sensor_packets_total{sensor="%s"}' % s) == self.replayed[s]
                and vals.get('canh_sensor_drops_total{sensor="%s"}' % s) == 0
                for s, _, _ in SITES]
        self.result("/metrics: per-sensor packets = replayed, drops 0, incidents open, ingest",
                    all(want) and vals.get("canh_incidents_open", 0) >= 1
                    and vals.get('canh_ingest_events_total{result="accepted"}', 0) > 0
                    and vals.get("canh_sensors_silent") == 0,
                    "; ".join("%s=%s" % (k, v) for k, v in vals.items()
                              if k.startswith(("canh_sensor_packets", "canh_sensor_drops",
                                               "canh_incidents_open", "canh_ingest_events_total"))))

    # ---- the run -------------------------------------------------------------
    def run(self):
        # 1. captures
        pcaps = {}
        for site, n, _ in SITES:
            merged, count, addrs, allowed = self.rewrite(site, n)
            pcaps[site] = (merged, count)
            self.result("%s: replayed capture names only test addresses" % site,
                        addrs <= allowed, "addresses %s" % sorted(addrs))
        rules = self.scan_rules()
        # 2. network, correlator, sensors
        self.network()
        enter_netns(NS_PREFIX + "soc")
        self.correlator()
        for site, n, _ in SITES:
            self.sensor(site, n, rules)
        deadline = time.time() + 60
        while time.time() < deadline:
            seen = self.sensors_by_name()
            if all(seen[s]["status"] == "ok" for s, _, _ in SITES):
                break
            for s, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError("%s exited %d: %s" % (s, p.returncode, self.log(s + ".log")))
            time.sleep(0.5)
        else:
            raise RuntimeError("sensors did not report to the correlator: %s" % seen)
        # 3. replay into each site's capture interface, all at once
        reps = {}
        for site, _, _ in SITES:
            reps[site] = subprocess.Popen(
                ["ip", "netns", "exec", NS_PREFIX + site + "-wan", "tcpreplay", "-i", "tap",
                 "--pps=%d" % PPS, pcaps[site][0]], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)
        for site, _, _ in SITES:
            out = reps[site].communicate(timeout=60)[0]
            m = re.search(r"Actual: (\d+) packets", out)
            fails = re.search(r"Failed packets:\s+(\d+)", out)
            self.replayed[site] = int(m.group(1)) if m else -1
            ok = m is not None and (not fails or fails.group(1) == "0") \
                and self.replayed[site] == pcaps[site][1]
            self.result("%s: tcpreplay sent the whole capture at %d pps" % (site, PPS), ok,
                        "%d of %d packets" % (self.replayed[site], pcaps[site][1]))
        # 4. packet counts and drops from each sensor's stats events
        time.sleep(5)  # two stats intervals
        for site, _, _ in SITES:
            st = self.last_stats(site)
            got = st["decoder"]["pkts"] if st else -1
            kpk = st["capture"]["kernel_packets"] if st else -1
            drops = (st["capture"]["kernel_drops"] + st["capture"]["queue_drops"]) if st else -1
            self.result("%s: sensor counted every replayed packet" % site,
                        got == self.replayed[site] and kpk == self.replayed[site],
                        "decoded %d, kernel %d, replayed %d" % (got, kpk, self.replayed[site]))
            self.result("%s: no kernel or queue drops at %d pps" % (site, PPS), drops == 0,
                        "drops %d" % drops)
        # 5. the cross-sensor rule
        incident, deadline = None, time.time() + 60
        while time.time() < deadline and incident is None:
            for inc in self.api("/api/v1/incidents?limit=100")["incidents"]:
                if ATTACKER in inc.get("group_key", "") and "several sensors" in inc["title"]:
                    full = self.api("/api/v1/incidents/%d" % inc["id"])
                    full = full.get("incident", full)
                    if set(full.get("sensors", [])) >= {s for s, _, _ in SITES}:
                        incident = full
            if incident is None:
                time.sleep(1)
        self.result("cross-sensor rule opens an incident naming all three sites",
                    incident is not None,
                    "incident %s sensors %s" % (incident["id"], incident["sensors"])
                    if incident else self.api("/api/v1/incidents?limit=100", raw=True)[:800])
        # 6. health endpoints as a load balancer and Prometheus see them
        self.health()
        # 7. stop one sensor: silent in the API and in /metrics within 60 s
        victim = SITES[1][0]
        p = self.procs[victim]
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        t0, api_ok, met_ok, ages = time.time(), None, None, []
        while time.time() - t0 < 60 and (api_ok is None or met_ok is None):
            s = self.sensors_by_name()
            if api_ok is None and s[victim]["silent"] and \
                    not any(s[x]["silent"] for x, _, _ in SITES if x != victim):
                api_ok = time.time() - t0
            m = self.api("/metrics", raw=True)
            sil = re.search(r'^canh_sensor_silent\{sensor="%s"\} (\S+)$' % victim, m, re.M)
            age = re.search(r'^canh_sensor_last_seen_age_seconds\{sensor="%s"\} (\S+)$' % victim,
                            m, re.M)
            if age:
                ages.append(float(age.group(1)))
            if met_ok is None and sil and sil.group(1) == "1" and len(ages) >= 2 \
                    and ages[-1] > ages[0]:
                met_ok = time.time() - t0
            time.sleep(1)
        self.result("stopped sensor silent on /api/v1/sensors within 60 s (others not)",
                    api_ok is not None, "after %.0f s" % api_ok if api_ok else "")
        self.result("stopped sensor silent in /metrics, last-seen age growing, within 60 s",
                    met_ok is not None,
                    "after %.0f s, age %.1f -> %.1f s" % (met_ok, ages[0], ages[-1])
                    if met_ok else "ages %s" % ages[-5:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--corpus", default=os.path.join(TOP, "..", "shared", "corpus"))
    a = ap.parse_args()
    t0 = time.time()
    live = Live(os.path.join(TOP, a.build), os.path.abspath(a.corpus))
    reason = None
    if os.geteuid() != 0:
        reason = "not root: network namespaces cannot be made"
    elif not os.path.isdir(live.corpus):
        reason = "corpus not found at %s" % live.corpus
    else:
        for tool in ("ip", "tcpreplay", "tcprewrite", "tshark", "mergecap"):
            if not shutil.which(tool):
                reason = "%s not installed" % tool
        if reason is None:
            r = sh(["ip", "netns", "add", NS_PREFIX + "probe"], check=False)
            if r.returncode != 0:
                reason = "network namespaces cannot be made here: " + r.stderr.strip()
            sh(["ip", "netns", "del", NS_PREFIX + "probe"], check=False)
    if reason:
        print("skip live: %s" % reason)
        print("live: 0 passed, 0 failed, 1 skipped")
        return 0
    for site, _, _ in SITES + [("soc", 0, "")]:  # debris of an interrupted run
        for ns in (NS_PREFIX + site, NS_PREFIX + site + "-wan"):
            sh(["ip", "netns", "del", ns], check=False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        live.run()
    except Exception as e:  # noqa: BLE001 - report, clean up, count as a failure
        live.result("live run", False, "%s: %s\ncorrelator log: %s" % (
            type(e).__name__, e, live.log("correlator.log")[-1500:]))
    finally:
        live.cleanup()
    p = sum(1 for _, ok in live.results if ok is True)
    f = sum(1 for _, ok in live.results if ok is False)
    print("live: %d passed, %d failed, 0 skipped (%.0f s)" % (p, f, time.time() - t0))
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
