#!/usr/bin/env python3
"""ndpi-agreement suite: does canh-sensor name each flow's application the way
ndpiReader does? Runs the sensor over every capture in <corpus>/pcaps/, reads
the flow lines of <corpus>/reference/ndpi/<name>.txt (ndpiReader -v 2 test
output), matches flows by 5-tuple in either direction and compares the
reference name ("TLS.Google", "Unknown") with the EVE flow's ndpi.protocol.

Checks: each reference file parses to exactly the flow total its own header
announces ("Confidence ...: N (flows)"); the sensor runs cleanly on each
capture; total agreement >= --min percent (98). Prints every disagreement
(capture, flow, expected, got) and per-capture figures; ends with
"N passed, N failed, N skipped". --reference-only checks the parser alone.
Python 3 stdlib only.
"""
import argparse
import collections
import ipaddress
import json
import os
import re
import subprocess
import sys

# "\t12\tTCP [2a00::1]:443 <-> 10.0.0.1:5555 [VLAN: 9][proto: 91.126/TLS.Google][..."
FLOW_RE = re.compile(
    r"^\t(\d+)\t(\S+) (\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+) (<->|->) "
    r"(\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+) (?:\[VLAN: \d+\])?\[proto: ([0-9.]+)/([^\]]+)\]")
CONF_RE = re.compile(r"^Confidence [^:]*: (\d+) \(flows\)")

# L4 names as ndpiReader and Suricata's EVE write them -> IP protocol number
L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "IPV6-ICMP": 58, "IGMP": 2, "SCTP": 132,
      "GRE": 47, "ESP": 50}
PORTLESS = {1, 58, 2, 47, 50}


def norm_ip(s):
    return ipaddress.ip_address(s.strip("[]")).compressed


def l4_number(s):
    s = str(s).upper()
    if s.isdigit():
        return int(s)
    return L4.get(s, -1)


def flow_key(proto, a, ap, b, bp):
    """Direction-free 5-tuple; ports ignored for ICMP and other portless protocols."""
    if proto in PORTLESS:
        ap = bp = 0
    x, y = (norm_ip(a), int(ap)), (norm_ip(b), int(bp))
    return (proto,) + (x + y if x <= y else y + x)


class RefFlow:
    __slots__ = ("key", "name", "text")

    def __init__(self, key, name, text):
        self.key, self.name, self.text = key, name, text


def parse_reference(path):
    """Returns (flows, announced_total). announced_total is None if absent."""
    flows, announced = [], None
    with open(path, errors="replace") as f:
        for line in f:
            m = CONF_RE.match(line)
            if m:
                announced = (announced or 0) + int(m.group(1))
                continue
            m = FLOW_RE.match(line)
            if not m:
                continue
            _, l4, a, ap, _, b, bp, _, name = m.groups()
            proto = l4_number(l4)
            key = flow_key(proto, a, ap, b, bp)
            text = f"{l4} {a}:{ap} <-> {b}:{bp}"
            flows.append(RefFlow(key, name, text))
    return flows, announced


def read_eve_flows(path):
    """Key -> list of ndpi.protocol names from the EVE flow events."""
    got = collections.defaultdict(list)
    with open(path, errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event_type") != "flow":
                continue
            try:
                proto = l4_number(ev.get("proto", ""))
                key = flow_key(proto, ev["src_ip"], ev.get("src_port", 0), ev["dest_ip"],
                               ev.get("dest_port", 0))
            except (KeyError, ValueError):
                continue
            ndpi = ev.get("ndpi") or {}
            got[key].append(ndpi.get("protocol", "(no ndpi.protocol)"))
    return got


class Suite:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name, cond, why=""):
        if cond:
            self.passed += 1
            print(f"ok {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {why}")
        return cond

    def skip(self, name, why):
        self.skipped += 1
        print(f"skip {name}: {why}")

    def close(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        return 1 if self.failed else 0


def run_sensor(sensor, pcap, outdir, extra):
    os.makedirs(outdir, exist_ok=True)
    eve = os.path.join(outdir, "eve.json")
    if os.path.exists(eve):
        os.unlink(eve)
    cmd = [sensor, "-r", pcap, "-l", outdir] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stderr, eve


def compare(refs, got):
    """Greedy per key: a reference flow agrees if an unused Canh flow on the
    same key has the same name. Returns (agree, disagreements, used keys)."""
    pool = {k: list(v) for k, v in got.items()}
    agree, bad = 0, []
    for r in refs:
        cand = pool.get(r.key, [])
        if r.name in cand:
            cand.remove(r.name)
            agree += 1
        else:
            bad.append((r, ",".join(cand) if cand else "(no flow)"))
    return agree, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus")
    ap.add_argument("--sensor", default="build/canh-sensor")
    ap.add_argument("--work", default="build/ndpi-agreement")
    ap.add_argument("--min", type=float, default=98.0)
    ap.add_argument("--reference-only", action="store_true")
    ap.add_argument("--only", action="append", default=[], help="capture name filter")
    ap.add_argument("--sensor-arg", action="append", default=[])
    a = ap.parse_args()
    s = Suite()
    pcaps_dir = os.path.join(a.corpus, "pcaps")
    ref_dir = os.path.join(a.corpus, "reference", "ndpi")
    if not os.path.isdir(pcaps_dir) or not os.path.isdir(ref_dir):
        s.skip("ndpi_agreement", f"corpus not found at {a.corpus} (CI lays it at ../shared/corpus)")
        return s.close()
    names = sorted(f[:-5] for f in os.listdir(pcaps_dir) if f.endswith(".pcap"))
    if a.only:
        names = [n for n in names if any(o in n for o in a.only)]

    total_ref = total_agree = known_ref = known_agree = 0
    per_capture = []
    for name in names:
        ref_path = os.path.join(ref_dir, name + ".txt")
        if not os.path.exists(ref_path):
            s.skip(f"reference_{name}", "no reference file")
            continue
        refs, announced = parse_reference(ref_path)
        s.ok(f"reference_parses_{name}", announced is not None and len(refs) == announced,
             f"parsed {len(refs)} flow lines, header announces {announced}")
        if a.reference_only:
            names_count = collections.Counter(r.name for r in refs)
            print(f"   {name}: {len(refs)} flows, {len(names_count)} names: "
                  + ", ".join(f"{k}={v}" for k, v in names_count.most_common(6)))
            continue
        rc, err, eve = run_sensor(a.sensor, os.path.join(pcaps_dir, name + ".pcap"),
                                  os.path.join(a.work, name), a.sensor_arg)
        ran = s.ok(f"sensor_runs_{name}", rc == 0 and os.path.exists(eve),
                   f"exit {rc}, eve.json {'present' if os.path.exists(eve) else 'missing'}: "
                   + err.strip()[-300:])
        got = read_eve_flows(eve) if ran else {}
        agree, bad = compare(refs, got)
        for r, g in bad:
            print(f"   disagree {name}: {r.text}: expected {r.name}, got {g}")
        kn = [r for r in refs if r.name != "Unknown"]
        kn_bad = sum(1 for r, _ in bad if r.name != "Unknown")
        total_ref += len(refs)
        total_agree += agree
        known_ref += len(kn)
        known_agree += len(kn) - kn_bad
        per_capture.append((name, agree, len(refs), sum(len(v) for v in got.values())))

    if a.reference_only:
        return s.close()
    print("\nper capture: agree/reference (canh flows)")
    for name, ag, n, ng in per_capture:
        pct = 100.0 * ag / n if n else 100.0
        print(f"   {name:44s} {ag:5d}/{n:<5d} {pct:6.1f}%  ({ng} canh flows)")
    pct = 100.0 * total_agree / total_ref if total_ref else 0.0
    kpct = 100.0 * known_agree / known_ref if known_ref else 0.0
    print(f"\ntotal: {total_agree}/{total_ref} reference flows agree: {pct:.2f}% (goal >= {a.min}%)")
    print(f"flows ndpiReader classified (not Unknown): {known_agree}/{known_ref}: {kpct:.2f}%")
    s.ok("agreement_total", total_ref > 0 and pct >= a.min,
         f"{pct:.2f}% < {a.min}%" if total_ref else "no reference flows")
    return s.close()


if __name__ == "__main__":
    sys.exit(main())
