#!/usr/bin/env python3
"""bench-detect: canh-sensor with the full ET Open rule file on the bench
capture (the one bench-sensor builds), against ceilings measured in the same
run: the bare libpcap read and a naive matcher (every rule's fast pattern in
ONE Hyperscan block database, scanning the same payload bytes).

Prints: rule compile time cold (empty cache) and from the cache (warm
restart: the whole -T load), packets/s and Gbit/s for 1 and 2 workers, peak
RSS, the ratio to the bare read and to the naive scan, each with its goal.
Exits 0 with a message when the corpus is absent. Python 3 stdlib only.
"""
import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_sensor  # noqa: E402  (capture builder and measured runs)

GOAL_VS_BARE = 0.05
GOAL_VS_NAIVE = 0.5
GOAL_RSS = 330 * 1024 * 1024
GOAL_WARM_S = 2.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--sensor", default="build/canh-sensor")
    ap.add_argument("--bare", default="build/tools/bare_read")
    ap.add_argument("--remap", default="build/tools/pcap_remap")
    ap.add_argument("--naive", default="build/tests/bench_detect_naive")
    ap.add_argument("--target-mb", type=int, default=500)
    ap.add_argument("--max-gap-us", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    a.remap_src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "pcap_remap.c")
    rules = os.path.join(a.corpus, "rules", "et-open.rules")
    if not os.path.exists(rules):
        print(f"bench-detect: skipped, {rules} is absent")
        return 0
    pcap = bench_sensor.build_capture(a)
    bench_sensor.warm(pcap)
    cache = os.path.abspath(os.path.join(a.out, "detect-cache"))
    shutil.rmtree(cache, ignore_errors=True)
    common = ["--set", "detect.sgh-mpm-caching-path=" + cache]

    cold, _, _, err, rc, _ = bench_sensor.run_measured([a.sensor, "-T", "-S", rules] + common)
    if rc != 0:
        print("bench-detect: rule load failed: " + err[-500:])
        return 1
    warm, warm_rss, out, _, _, _ = bench_sensor.run_measured([a.sensor, "-T", "-S", rules] + common)
    loaded = [l for l in out.splitlines() if "successfully loaded" in l]

    b_sec, pkts, byts = bench_sensor.bare(a, pcap)
    _, _, nout, nerr, rc, _ = bench_sensor.run_measured([a.naive, rules, pcap])
    if rc != 0:
        print("bench-detect: naive scan failed: " + nerr[-300:])
        return 1
    kv = dict(x.split("=") for x in nout.split())
    n_sec = float(kv["seconds"])
    print(f"bench-detect: {loaded[0] if loaded else '?'}")
    print(f"   rule load: cold {cold:.2f} s (Hyperscan compile), warm restart from cache {warm:.2f} s "
          f"(goal < {GOAL_WARM_S:.0f} s: {'ok' if warm < GOAL_WARM_S else 'MISSED'})")
    print(f"   capture: {pkts} packets, {byts / 1e6:.0f} MB; payload {int(kv['bytes']) / 1e6:.0f} MB in "
          f"{kv['payloads']} packets")
    print(f"   naive: {kv['patterns']} fast patterns in one block database, "
          f"{pkts / n_sec:.0f} pkt/s ({int(kv['bytes']) * 8 / n_sec / 1e9:.2f} Gbit/s of payload)")
    print(f"   {'':14s} {'pkt/s':>12s} {'Gbit/s':>8s} {'peak RSS':>10s}  vs bare  vs naive")
    print(f"   {'bare libpcap':14s} {pkts / b_sec:12.0f} {byts * 8 / b_sec / 1e9:8.2f}")
    ok = warm < GOAL_WARM_S
    for w in (1, 2):
        d = os.path.join(a.out, f"detect-w{w}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        sec, rss, _, err, rc, _ = bench_sensor.run_measured(
            [a.sensor, "-r", pcap, "-l", d, "-S", rules, "--workers", str(w), "-k", "none",
             "--set", "outputs.eve-log.types.flow=no"] + common)
        if rc != 0:
            print(f"bench-detect: sensor failed: {err[-300:]}")
            return 1
        alerts = 0
        with open(os.path.join(d, "eve.json"), errors="replace") as f:
            for line in f:
                alerts += '"event_type":"alert"' in line
        pps = pkts / sec
        rb, rn = (b_sec / sec), (n_sec / sec)
        good = rb >= GOAL_VS_BARE and rn >= GOAL_VS_NAIVE and rss < GOAL_RSS
        if w == 1:
            ok = ok and good
        print(f"   {f'sensor {w} worker':14s} {pps:12.0f} {byts * 8 / sec / 1e9:8.2f} "
              f"{rss / 1048576:8.0f} MiB  {rb:6.3f}  {rn:6.3f}   {alerts} alerts")
    print(f"   goals (1 worker): >= {GOAL_VS_BARE} of bare, >= {GOAL_VS_NAIVE} of naive, "
          f"RSS < 330 MiB: {'ok' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
