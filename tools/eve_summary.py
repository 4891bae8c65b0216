#!/usr/bin/env python3
"""eve_summary: a human summary of a canh-sensor (or Suricata) eve.json, as
printed by `make run`: the time span, events by type, flows by application
protocol (nDPI's name, else Suricata's app_proto), top talkers, alerts,
anomalies, nDPI risks, files, names seen (DNS/TLS/HTTP) and the sensor's
closing stats. Reads only fields it finds; unknown shapes are skipped.
Python 3 stdlib only. Usage: eve_summary.py [--home-net CIDR] [--top N] EVE.json
"""
import argparse
import collections
import ipaddress
import json
import sys


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n} B"


def table(title, rows, header):
    print(f"\n{title}")
    if not rows:
        print("  (none)")
        return
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  " + "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print(fmt.format(*header))
    for r in rows:
        print(fmt.format(*r))


def risk_names(ndpi):
    risks = ndpi.get("risks") or ndpi.get("flow_risk") or []
    if isinstance(risks, dict):
        out = []
        for k, v in risks.items():
            out.append(v.get("risk", k) if isinstance(v, dict) else str(k))
        return out
    if isinstance(risks, list):
        return [r.get("risk", str(r)) if isinstance(r, dict) else str(r) for r in risks]
    return [str(risks)]


class Summary:
    def __init__(self, home):
        self.home = home
        self.types = collections.Counter()
        self.first = self.last = None
        self.apps = collections.defaultdict(lambda: [0, 0, 0])  # flows, packets, bytes
        self.talkers = collections.Counter()
        self.pairs = collections.Counter()
        self.alerts = collections.defaultdict(lambda: {"n": 0, "pairs": collections.Counter()})
        self.anomalies = collections.Counter()
        self.risks = collections.Counter()
        self.names = collections.Counter()
        self.files = []
        self.stats = None
        self.bad_lines = 0

    def side(self, ip):
        try:
            return "home" if ipaddress.ip_address(ip) in self.home else "ext"
        except ValueError:
            return "?"

    def add(self, ev):
        et = ev.get("event_type", "?")
        self.types[et] += 1
        ts = ev.get("timestamp")
        if ts and et != "stats":
            self.first = ts if self.first is None or ts < self.first else self.first
            self.last = ts if self.last is None or ts > self.last else self.last
        handler = getattr(self, "on_" + et, None)
        if handler:
            handler(ev)

    def on_flow(self, ev):
        fl = ev.get("flow", {})
        ndpi = ev.get("ndpi") or {}
        app = ndpi.get("protocol") or ev.get("app_proto") or "unknown"
        pk = fl.get("pkts_toserver", 0) + fl.get("pkts_toclient", 0)
        by = fl.get("bytes_toserver", 0) + fl.get("bytes_toclient", 0)
        a = self.apps[app]
        a[0] += 1
        a[1] += pk
        a[2] += by
        src, dst = ev.get("src_ip", "?"), ev.get("dest_ip", "?")
        self.talkers[src] += fl.get("bytes_toserver", 0)
        self.talkers[dst] += fl.get("bytes_toclient", 0)
        self.pairs[(src, dst, ev.get("dest_port", ""), app)] += by
        for r in risk_names(ndpi):
            self.risks[r] += 1
        for k in ("hostname", "sni", "host"):
            if ndpi.get(k):
                self.names[(app, ndpi[k])] += 1
                break

    def on_alert(self, ev):
        al = ev.get("alert", {})
        key = (al.get("signature_id", 0), al.get("signature", "?"), al.get("severity", ""))
        self.alerts[key]["n"] += 1
        src, dst = ev.get("src_ip", "?"), ev.get("dest_ip", "?")
        d = f"{self.side(src)}->{self.side(dst)}"
        self.alerts[key]["pairs"][f"{src} -> {dst}:{ev.get('dest_port', '')} ({d})"] += 1

    def on_anomaly(self, ev):
        an = ev.get("anomaly", {})
        self.anomalies[(an.get("type", "?"), an.get("event", an.get("code", "?")))] += 1

    def on_dns(self, ev):
        dns = ev.get("dns", {})
        name = dns.get("rrname") or (dns.get("queries") or [{}])[0].get("rrname")
        if name and dns.get("type", "query") == "query":
            self.names[("dns", name)] += 1

    def on_tls(self, ev):
        if ev.get("tls", {}).get("sni"):
            self.names[("tls", ev["tls"]["sni"])] += 1

    def on_http(self, ev):
        h = ev.get("http", {})
        if h.get("hostname"):
            self.names[("http", h["hostname"])] += 1

    def on_fileinfo(self, ev):
        fi = ev.get("fileinfo", {})
        yara = fi.get("yara") or []
        if isinstance(yara, dict):
            yara = yara.get("matches", [])
        rules = [y.get("rule", str(y)) if isinstance(y, dict) else str(y) for y in yara]
        self.files.append((fi.get("filename", "?"), fi.get("size", ""),
                           (fi.get("sha256") or "")[:16], ",".join(rules) or "-",
                           f"{ev.get('src_ip', '?')} -> {ev.get('dest_ip', '?')}"))

    def on_stats(self, ev):
        self.stats = ev.get("stats", {})

    def print(self, top):
        print(f"EVE summary: {sum(self.types.values())} events, {self.first} .. {self.last}")
        if self.bad_lines:
            print(f"  ({self.bad_lines} lines were not JSON)")
        print("  by type: " + ", ".join(f"{k}={v}" for k, v in self.types.most_common()))
        rows = sorted(self.apps.items(), key=lambda kv: (-kv[1][0], kv[0]))
        table("Flows by application protocol", [(k, v[0], v[1], human_bytes(v[2]))
                                                for k, v in rows[:top * 2]],
              ("protocol", "flows", "packets", "bytes"))
        table("Top talkers (bytes sent)",
              [(ip, self.side(ip), human_bytes(b)) for ip, b in self.talkers.most_common(top)],
              ("host", "net", "bytes"))
        table("Top conversations (bytes)",
              [(f"{s} -> {d}:{p}", app, human_bytes(b))
               for (s, d, p, app), b in self.pairs.most_common(top)],
              ("conversation", "app", "bytes"))
        arows = []
        for (sid, sig, sev), v in sorted(self.alerts.items(), key=lambda kv: -kv[1]["n"]):
            pair, _ = v["pairs"].most_common(1)[0]
            arows.append((f"[{sid}] {sig}"[:90], sev, v["n"], pair))
        table("Alerts", arows, ("signature", "sev", "count", "e.g."))
        table("Anomalies", [(f"{t}: {e}", n) for (t, e), n in self.anomalies.most_common(top * 2)],
              ("anomaly", "count"))
        table("nDPI flow risks", [(r, n) for r, n in self.risks.most_common(top * 2)],
              ("risk", "flows"))
        table("Files", self.files[:top * 2], ("file", "size", "sha256", "yara", "flow"))
        table("Names seen (DNS/TLS/HTTP/nDPI)",
              [(f"{k}: {n}"[:100], c) for (k, n), c in self.names.most_common(top)],
              ("name", "count"))
        if self.stats is not None:
            print("\nSensor stats (last stats event)")
            self.print_stats(self.stats, "  ", 0)

    def print_stats(self, obj, indent, depth):
        """Non-zero counters only; a section with nothing non-zero is left out."""
        for k, v in obj.items():
            if isinstance(v, dict):
                if depth < 2 and self.nonzero(v):
                    print(f"{indent}{k}:")
                    self.print_stats(v, indent + "  ", depth + 1)
            elif not isinstance(v, list) and v not in (0, None, ""):
                print(f"{indent}{k}: {v}")

    def nonzero(self, obj):
        return any(self.nonzero(v) if isinstance(v, dict) else v not in (0, None, "", [])
                   for v in obj.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eve")
    ap.add_argument("--home-net", default="10.20.0.0/16")
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    s = Summary(ipaddress.ip_network(a.home_net))
    try:
        f = open(a.eve, errors="replace")
    except OSError as e:
        print(f"eve_summary: cannot read {a.eve}: {e.strerror}", file=sys.stderr)
        return 1
    with f:
        for line in f:
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                s.bad_lines += 1
                continue
            if isinstance(ev, dict):
                s.add(ev)
    s.print(a.top)
    return 0 if sum(s.types.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
