#!/usr/bin/env python3
"""run.py: the pcap-stream suite.

1. gen.py reproduces the committed cases byte for byte.
2. Each case in cases/ goes through the harness (real decoder + stream
   stage): both reassembled directions must equal c2s.bin / s2c.bin, the
   delivery contract must hold (bad_offsets=0, nothing left held), and the
   key=value checks of expect.txt must hold (key_min means >=).
3. Real captures from the corpus (../shared/corpus, skipped when absent):
   every TCP connection whose handshake is in the capture must reassemble
   to what tshark's "follow tcp" gives for it.
Prints "N passed, N failed, N skipped" last.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
results = {"passed": 0, "failed": 0, "skipped": 0}


def report(name, ok, why=""):
    if ok is None:
        results["skipped"] += 1
        print("skip %s: %s" % (name, why))
    elif ok:
        results["passed"] += 1
        print("ok   %s" % name)
    else:
        results["failed"] += 1
        print("FAIL %s: %s" % (name, why))


def read_kv(path):
    kv = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, v = line.split("=", 1)
                kv[k] = v
    return kv


def check_generator(cases):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), tmp], check=True)
        diffs = []
        for name in sorted(os.listdir(tmp)):
            for fn in sorted(os.listdir(os.path.join(tmp, name))):
                a, b = os.path.join(tmp, name, fn), os.path.join(cases, name, fn)
                if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                    diffs.append("%s/%s" % (name, fn))
        report("generator_reproducible", not diffs, "differs: " + ", ".join(diffs))


def run_case(binary, cases, name, out):
    d = os.path.join(cases, name)
    exp = read_kv(os.path.join(d, "expect.txt"))
    o = os.path.join(out, name)
    os.makedirs(o, exist_ok=True)
    args = [binary]
    if "pattern" in exp:
        args += ["-p", exp.pop("pattern")]
    r = subprocess.run(args + [os.path.join(d, "input.pcap"), o], capture_output=True, text=True)
    if r.returncode != 0:
        return report("case_" + name, False, "harness exit %d: %s" % (r.returncode, r.stderr))
    st = {k: int(v) for k, v in read_kv(os.path.join(o, "stats.txt")).items()}
    errs = []
    for direction in ("c2s", "s2c"):
        got = open(os.path.join(o, "flow0." + direction), "rb").read()
        want = open(os.path.join(d, direction + ".bin"), "rb").read()
        if got != want:
            errs.append("%s: got %d bytes, want %d (first difference at %d)" % (
                direction, len(got), len(want),
                next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                     min(len(got), len(want)))))
    for k, want in (("flows", 1), ("bad_offsets", 0), ("held_bytes", 0)):
        if st.get(k) != want:
            errs.append("%s=%s, want %d" % (k, st.get(k), want))
    for k, v in exp.items():
        key, minimum = (k[:-4], True) if k.endswith("_min") else (k, False)
        got = st.get(key)
        if got is None or (got < int(v) if minimum else got != int(v)):
            errs.append("%s=%s, want %s%s" % (key, got, ">=" if minimum else "", v))
    report("case_" + name, not errs, "; ".join(errs))


def tshark_streams(pcap):
    """{(client ip, port, server ip, port): (c2s bytes, s2c bytes)} for each
    TCP stream tshark follows, where the SYN was seen."""
    r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream",
                        "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0"],
                       capture_output=True, text=True, check=True)
    ids = sorted({int(x) for x in r.stdout.split()})
    streams = {}
    for sid in ids:
        r = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % sid],
                           capture_output=True, text=True, check=True)
        nodes, data = [], [bytearray(), bytearray()]
        for line in r.stdout.splitlines():
            if line.startswith("Node "):
                nodes.append(line.split(":", 1)[1].strip())
            elif line and not line.startswith("=") and not line.startswith("Follow") \
                    and not line.startswith("Filter"):
                side = 1 if line.startswith("\t") else 0
                data[side] += bytes.fromhex(line.strip())
        streams[sid] = (nodes, bytes(data[0]), bytes(data[1]))
    return streams


def check_corpus(binary, corpus, out, names):
    if not os.path.isdir(corpus):
        for n in names:
            report("corpus_" + n, None, "no corpus at %s" % corpus)
        return
    if shutil.which("tshark") is None:
        for n in names:
            report("corpus_" + n, None, "tshark not installed")
        return
    for n in names:
        pcap = os.path.join(corpus, "pcaps", n + ".pcap")
        if not os.path.exists(pcap):
            report("corpus_" + n, None, "missing " + pcap)
            continue
        o = os.path.join(out, "corpus-" + n)
        os.makedirs(o, exist_ok=True)
        r = subprocess.run([binary, pcap, o], capture_output=True, text=True)
        if r.returncode != 0:
            report("corpus_" + n, False, r.stderr)
            continue
        st = {k: int(v) for k, v in read_kv(os.path.join(o, "stats.txt")).items()}
        ours = [(open(os.path.join(o, "flow%d.c2s" % i), "rb").read(),
                 open(os.path.join(o, "flow%d.s2c" % i), "rb").read())
                for i in range(st["flows"])]
        theirs = tshark_streams(pcap)
        errs, compared = [], 0
        for sid, (nodes, c2s, s2c) in theirs.items():
            # tshark and the harness both number flows by first packet; match
            # on content instead of index, so numbering details do not matter.
            if (c2s, s2c) in ours or (s2c, c2s) in ours:
                compared += 1
            else:
                errs.append("stream %d (%s): %d/%d bytes not reassembled the same" % (
                    sid, " <-> ".join(nodes), len(c2s), len(s2c)))
        if st["bad_offsets"] != 0:
            errs.append("bad_offsets=%d" % st["bad_offsets"])
        if compared == 0 and not errs:
            report("corpus_" + n, None, "no TCP stream with a handshake")
        else:
            report("corpus_" + n, not errs and compared > 0,
                   "; ".join(errs[:5]) + (" (+%d more)" % (len(errs) - 5) if len(errs) > 5 else ""))
        print("     %s: %d streams equal to tshark's, gaps=%d overlaps_diff=%d" % (
            n, compared, st["gaps"], st["overlaps_diff"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default="../shared/corpus")
    a = ap.parse_args()
    cases = os.path.join(HERE, "cases")
    os.makedirs(a.out, exist_ok=True)
    check_generator(cases)
    for name in sorted(os.listdir(cases)):
        run_case(a.bin, cases, name, a.out)
    check_corpus(a.bin, a.corpus, a.out,
                 ["sv-http-body-inspect", "sv-http-post-file", "sv-http-evader-000",
                  "ndpi-http_auth", "ndpi-exe_download", "ndpi-smtp", "ndpi-ftp",
                  "ndpi-ssh", "ndpi-irc", "ndpi-imap"])
    print("%d passed, %d failed, %d skipped" % (
        results["passed"], results["failed"], results["skipped"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
