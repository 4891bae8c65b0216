#!/usr/bin/env python3
"""demo-capture suite: checks the generated demo capture (tools/gen_demo.c)
with tshark and ndpiReader, the tools analysts trust, not with our own code.

Each check prints "ok NAME" or "FAIL NAME: why"; the run ends with the line
"N passed, N failed, N skipped" that tests/run.sh reads. Python 3 stdlib only.
"""
import argparse
import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
START_EPOCH = 1795161600  # 2026-11-20T08:00:00Z
HOME = "10.20."
SCANNER, SCAN_TARGET = "198.51.100.23", "10.20.1.20"
BRUTE, SSH_SERVER = "203.0.113.45", "10.20.1.10"
WEB_ATTACKER, WEB_SERVER = "203.0.113.66", "10.20.1.30"
CHECKSUMS = ["-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
             "-o", "ip.check_checksum:TRUE"]

results = {"passed": 0, "failed": 0, "skipped": 0}


def report(name, ok, why=""):
    if ok:
        results["passed"] += 1
        print(f"ok {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {why}")


def skip(name, why):
    results["skipped"] += 1
    print(f"skip {name}: {why}")


def tshark(pcap, *args):
    cmd = ["tshark", "-n", "-r", pcap] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return out.stdout


def fields(pcap, flt, *names, opts=()):
    args = list(opts) + ["-Y", flt, "-T", "fields", "-E", "separator=\t"]
    for n in names:
        args += ["-e", n]
    text = tshark(pcap, *args)
    return [line.split("\t") for line in text.splitlines() if line]


def phs_frames(pcap):
    """Protocol -> frame count from `-z io,phs` (deepest occurrence wins)."""
    counts = collections.Counter()
    for line in tshark(pcap, "-q", "-z", "io,phs").splitlines():
        m = re.match(r"\s*([\w.-]+)\s+frames:(\d+)", line)
        if m:
            counts[m.group(1)] += int(m.group(2))
    return counts


def check_basic(pcap):
    size = os.path.getsize(pcap)
    report("size_under_2MB", 0 < size < 2 * 1024 * 1024, f"{size} bytes")
    times = [float(r[0]) for r in fields(pcap, "frame", "frame.time_epoch")]
    report("packet_count_few_thousand", 2000 <= len(times) <= 10000, f"{len(times)} packets")
    report("starts_2026_11_20T08", bool(times) and int(times[0]) == START_EPOCH,
           f"first timestamp {times[0] if times else None}")
    bad = sum(1 for a, b in zip(times, times[1:]) if b < a)
    report("timestamps_monotonic", bad == 0, f"{bad} backward steps")
    return len(times)


def check_wellformed(pcap):
    errs = fields(pcap, '_ws.malformed || _ws.expert.severity >= "error"', "frame.number",
                  "_ws.expert.message")
    # checksum validation on: a wrong IP/TCP/UDP checksum is an expert error
    errs += fields(pcap, 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || '
                   'udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"',
                   "frame.number", opts=CHECKSUMS)
    report("no_malformed_or_expert_errors", not errs, f"{len(errs)} frames, first {errs[:3]}")
    seqbad = fields(pcap, "tcp.analysis.lost_segment || tcp.analysis.retransmission || "
                    "tcp.analysis.out_of_order || tcp.analysis.ack_lost_segment || "
                    "tcp.analysis.duplicate_ack", "frame.number")
    report("tcp_sequence_numbers_consistent", not seqbad, f"{len(seqbad)} frames flagged")


def check_protocols(pcap):
    c = phs_frames(pcap)
    want = {"dns": 100, "http": 20, "tls": 100, "ssh": 200, "icmp": 8, "ntp": 10}
    low = {p: c.get(p, 0) for p, n in want.items() if c.get(p, 0) < n}
    report("protocol_mix", not low, f"below minimum: {low} (have {dict(c)})")
    conv = tshark(pcap, "-q", "-z", "conv,tcp")
    nconv = sum(1 for line in conv.splitlines() if "<->" in line)
    report("tcp_conversations", 250 <= nconv <= 600, f"{nconv} TCP conversations")
    # every data-carrying TCP session between well-behaved peers ends with FINs both ways
    fins = fields(pcap, "tcp.flags.fin == 1", "tcp.stream")
    fin_per_stream = collections.Counter(r[0] for r in fins)
    data_streams = {r[0] for r in fields(pcap, "tcp.len > 0", "tcp.stream")}
    unclosed = [s for s in data_streams if fin_per_stream.get(s, 0) != 2]
    report("tcp_fin_teardown", bool(data_streams) and not unclosed,
           f"{len(unclosed)} of {len(data_streams)} data streams without two FINs")


def check_dns(pcap):
    q = fields(pcap, "dns.flags.response == 0", "dns.id", "dns.qry.name")
    r = fields(pcap, "dns.flags.response == 1", "dns.id", "dns.qry.name")
    report("dns_every_query_answered", len(q) > 0 and sorted(q) == sorted(r),
           f"{len(q)} queries, {len(r)} responses")
    longest = max((len(x[1]) for x in q), default=0)
    report("dns_tunnel_long_name", longest >= 100, f"longest query name {longest}")
    txt = fields(pcap, "dns.flags.response == 1 && dns.txt", "dns.txt")
    nx = fields(pcap, "dns.flags.rcode == 3", "dns.qry.name")
    report("dns_tunnel_txt_and_nxdomain", len(txt) >= 3 and len(nx) >= 3,
           f"{len(txt)} TXT answers, {len(nx)} NXDOMAIN")


def check_scan(pcap):
    syn = fields(pcap, f"ip.src == {SCANNER} && tcp.flags.syn == 1 && tcp.flags.ack == 0",
                 "tcp.dstport", "ip.dst")
    ports = {r[0] for r in syn}
    targets = {r[1] for r in syn}
    report("port_scan_about_200_ports", 180 <= len(ports) <= 220 and targets == {SCAN_TARGET},
           f"{len(ports)} distinct ports, targets {targets}")
    rst = fields(pcap, f"ip.src == {SCAN_TARGET} && tcp.flags.reset == 1", "tcp.srcport")
    synack = fields(pcap, f"ip.src == {SCAN_TARGET} && tcp.flags.syn == 1 && tcp.flags.ack == 1",
                    "tcp.srcport")
    report("port_scan_answers", len(rst) + len(synack) == len(syn) and len(synack) >= 1,
           f"{len(syn)} SYNs, {len(rst)} RSTs, {len(synack)} SYN-ACKs")


def check_ssh(pcap):
    sess = fields(pcap, f"ip.src == {BRUTE} && tcp.dstport == 22 && tcp.flags.syn == 1 && "
                  "tcp.flags.ack == 0", "tcp.srcport")
    banners = fields(pcap, "ssh.protocol", "ip.src", "ssh.protocol")
    cli = [b for b in banners if b[0] == BRUTE]
    srv = [b for b in banners if b[0] == SSH_SERVER]
    report("ssh_bruteforce_sessions", len(sess) >= 20 and len(cli) == len(sess) == len(srv) - 1,
           f"{len(sess)} sessions, {len(cli)} client banners, {len(srv)} server banners")


def check_http(pcap, tmp):
    reqs = fields(pcap, "http.request", "ip.src", "http.request.uri", "http.user_agent",
                  "http.host")
    resp = fields(pcap, "http.response", "http.response.code")
    report("http_requests_answered", len(reqs) >= 10 and len(reqs) == len(resp),
           f"{len(reqs)} requests, {len(resp)} responses")
    report("http_host_and_ua_everywhere", all(r[2] and r[3] for r in reqs),
           "a request without Host or User-Agent")
    sqli = [r for r in reqs if r[0] == WEB_ATTACKER and "UNION%20SELECT" in r[1]]
    report("http_sqli_in_uri", len(sqli) == 1, f"{len(sqli)} UNION SELECT requests")
    xss = [r for r in reqs if "<script>" in r[1] and "<script>" in r[2]]
    report("http_xss_in_uri_and_ua", len(xss) == 1, f"{len(xss)} XSS requests")
    outdir = os.path.join(tmp, "objects")
    os.makedirs(outdir)
    tshark(pcap, "-q", "--export-objects", f"http,{outdir}")
    hashes = set()
    for name in os.listdir(outdir):
        with open(os.path.join(outdir, name), "rb") as f:
            hashes.add(hashlib.sha256(f.read()).hexdigest())
    report("http_eicar_object", EICAR_SHA256 in hashes,
           f"{len(hashes)} objects exported, none is EICAR")


def check_temporal(pcap):
    atk = fields(pcap, f"ip.src == {WEB_ATTACKER} && http.request", "frame.time_epoch")
    back = fields(pcap, f"ip.src == {WEB_SERVER} && ip.dst == {WEB_ATTACKER} && "
                  "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.time_epoch", "tcp.dstport")
    ok = bool(atk) and len(back) == 1 and float(back[0][0]) > float(atk[0][0])
    report("victim_calls_back_after_attack", ok, f"{len(atk)} attack requests, callbacks {back}")


def check_tls(pcap):
    ch = fields(pcap, "tls.handshake.type == 1", "tls.handshake.extensions_server_name")
    sh = fields(pcap, "tls.handshake.type == 2", "frame.number")
    report("tls_client_hello_with_sni", len(ch) >= 10 and all(r[0] for r in ch) and
           len(ch) == len(sh), f"{len(ch)} ClientHello, {len(sh)} ServerHello")


def check_ndpi(pcap, tmp):
    if shutil.which("ndpiReader") is None:
        skip("ndpi_classifies_demo", "ndpiReader not installed")
        return
    out = os.path.join(tmp, "ndpi.txt")
    subprocess.run(["ndpiReader", "-q", "-t", "-i", pcap, "-w", out, "-v", "2"],
                   capture_output=True, check=True)
    masters = collections.Counter()
    with open(out, errors="replace") as f:
        for line in f:
            m = re.search(r"\[proto: [\d.]+/([\w-]+)", line)
            if m and "[Confidence: DPI]" in line:
                masters[m.group(1)] += 1
    want = ["DNS", "HTTP", "TLS", "SSH", "ICMP", "NTP"]
    missing = [p for p in want if masters.get(p, 0) == 0]
    report("ndpi_classifies_demo", not missing, f"no DPI-confidence flow for {missing}: {masters}")


def check_deterministic(pcap, gen, tmp):
    if not gen or not os.path.exists(gen):
        skip("generator_deterministic", "generator binary not given")
        return
    again = os.path.join(tmp, "again.pcap")
    subprocess.run([gen, again], capture_output=True, check=True)
    with open(pcap, "rb") as a, open(again, "rb") as b:
        same = a.read() == b.read()
    report("generator_deterministic", same, "second run wrote different bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--gen")
    a = ap.parse_args()
    if shutil.which("tshark") is None:
        skip("demo_capture", "tshark not installed")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for fn in (check_basic, check_wellformed, check_protocols, check_dns, check_scan,
                       check_ssh, check_tls, check_temporal):
                fn(a.pcap)
            check_http(a.pcap, tmp)
            check_ndpi(a.pcap, tmp)
            check_deterministic(a.pcap, a.gen, tmp)
    print(f"{results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
