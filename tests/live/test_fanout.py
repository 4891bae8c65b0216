#!/usr/bin/env python3
"""Suite `live-fanout` (root): canh-sensor -i with 2 workers in one
PACKET_FANOUT group. A namespace holds a veth pair; tcpreplay sends a corpus
capture into one end, the sensor captures on the other. Checks: the fan-out
group was joined; the kernel delivered and the decoder saw exactly the
replayed packets (summed over both handles), none dropped; no flow was split
between the workers (each 5-tuple has one flow event); and both workers
carried traffic, their packet counts (logged per worker at exit) adding up
to what was replayed."""
import argparse, json, os, shutil, signal, subprocess, sys, time

NS = "canh-fanout"
res = {"pass": 0, "fail": 0, "skip": 0}


def report(ok, name, detail=""):
    res["pass" if ok else "fail"] += 1
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail else ""))


def done():
    print("%d passed, %d failed, %d skipped" % (res["pass"], res["fail"], res["skip"]))
    return 1 if res["fail"] else 0


def skip_all(why):
    res["skip"] += 1
    print("skip live-fanout: " + why)
    return done()


def nsx(*cmd, check=True, **kw):
    return subprocess.run(["ip", "netns", "exec", NS] + list(cmd), check=check, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--corpus", default="../shared/corpus")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.corpus, "pcaps")):
        return skip_all("needs the corpus at %s" % a.corpus)
    if os.geteuid() != 0:
        return skip_all("needs root (network namespaces)")
    for tool in ("ip", "tcpreplay", "tshark", "mergecap"):
        if shutil.which(tool) is None:
            return skip_all("%s is missing" % tool)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    if subprocess.run(["ip", "netns", "add", NS], stderr=subprocess.DEVNULL).returncode != 0:
        return skip_all("ip netns add failed (no CAP_SYS_ADMIN?)")
    out = os.path.abspath(os.path.join(a.build, "live-fanout"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    sensor = None
    try:
        nsx("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        nsx("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        nsx("ip", "link", "add", "fo-tx", "type", "veth", "peer", "name", "fo-cap")
        for dev in ("fo-tx", "fo-cap", "lo"):
            nsx("ip", "link", "set", dev, "up")
        # many flows (a SYN scan and an nmap HTTP probe run), Ethernet frames
        srcs = [os.path.join(a.corpus, "pcaps", n) for n in ("ndpi-synscan.pcap", "esnet-nmap-80-all.pcap")]
        if not all(os.path.exists(x) for x in srcs):
            return skip_all("needs ndpi-synscan.pcap and esnet-nmap-80-all.pcap in the corpus")
        src = os.path.join(out, "merged.pcap")
        subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", src] + srcs, check=True)
        eth = os.path.join(out, "in.pcap")
        # only Ethernet frames can be replayed on a veth
        subprocess.run(["tshark", "-r", src, "-w", eth, "-F", "pcap", "eth"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        want = int(subprocess.run(["tshark", "-r", eth, "-T", "fields", "-e", "frame.number"],
                                  capture_output=True, text=True).stdout.split()[-1])
        log = open(os.path.join(out, "sensor.log"), "w")
        sensor = subprocess.Popen(["ip", "netns", "exec", NS, os.path.abspath(
            os.path.join(a.build, "canh-sensor")), "-i", "fo-cap", "-l", out, "--workers", "2",
            "--set", "stats.interval=1", "--set", "logging.level=info"], stdout=log, stderr=log)
        time.sleep(2)
        nsx("tcpreplay", "-q", "-i", "fo-tx", "--pps=5000", eth, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(2)
        sensor.send_signal(signal.SIGTERM)
        sensor.wait(timeout=30)
        log.close()
        text = open(os.path.join(out, "sensor.log")).read()
        report("PACKET_FANOUT group" in text, "fanout-joined", text.strip().splitlines()[-1][:200]
               if "PACKET_FANOUT group" not in text else "")
        events = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
        st = [e["stats"] for e in events if e["event_type"] == "stats"][-1]
        got_k, got_d = st["capture"]["kernel_packets"], st["decoder"]["pkts"]
        report(got_k == want and got_d == want, "counts",
               "replayed %d, kernel %d, decoded %d" % (want, got_k, got_d))
        report(st["capture"]["kernel_drops"] == 0 and st["capture"]["queue_drops"] == 0, "no-drops",
               "%s" % st["capture"])
        keys = {}
        for e in events:
            if e["event_type"] != "flow":
                continue
            k = (e.get("proto"), e.get("vlan") and tuple(e["vlan"]),
                 tuple(sorted([(e["src_ip"], e.get("src_port")), (e["dest_ip"], e.get("dest_port"))])))
            keys[k] = keys.get(k, 0) + 1
        split = [k for k, n in keys.items() if n > 1]
        report(len(keys) > 10 and not split, "flows-not-split",
               "%d flows, %d seen by both workers %s" % (len(keys), len(split), split[:3]))
        per = [l for l in text.splitlines() if "worker " in l and " packets" in l]
        counts = []
        for l in per:
            try:
                counts.append(int(l.split(" packets")[0].split()[-1]))
            except ValueError:
                pass
        report(len(counts) == 2 and sum(counts) == want and min(counts) > 0, "both-workers",
               "per-worker packets %s (sum must be %d, each > 0)" % (counts, want))
    finally:
        if sensor is not None and sensor.poll() is None:
            sensor.kill()
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    return done()


if __name__ == "__main__":
    sys.exit(main())
