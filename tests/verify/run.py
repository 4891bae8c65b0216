#!/usr/bin/env python3
"""suricata-verify cases against canh-sensor.

Each case under CORPUS/rules/suricata-verify/<case>/ has test.rules and
expected.txt ("<sid> <count>" lines; '#' lines carry the Suricata options the
case needs: "# suricata args: [...]"). The capture is CORPUS/pcaps/sv-<case>.pcap.
The case runs canh-sensor with the same options and passes only when, for
every listed sid, the number of EVE alert events equals the expected count.
Prints each failure (expected vs got), "N of M cases pass", and the closing
"N passed, N failed, N skipped" line tests/run.sh reads.
"""
import argparse
import collections
import json
import os
import shlex
import subprocess
import sys


def parse_expected(path):
    want, args = {}, []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith('# suricata args:'):
                for item in json.loads(line.split(':', 1)[1]):
                    args += shlex.split(item)
            elif line and not line.startswith('#'):
                sid, count = line.split()
                want[int(sid)] = int(count)
    return want, args


def run_case(sensor, corpus, case, out, cache):
    cdir = os.path.join(corpus, 'rules', 'suricata-verify', case)
    pcap = os.path.join(corpus, 'pcaps', 'sv-%s.pcap' % case)
    want, args = parse_expected(os.path.join(cdir, 'expected.txt'))
    odir = os.path.join(out, case)
    os.makedirs(odir, exist_ok=True)
    for f in ('eve.json', 'canh.seq'):
        if os.path.exists(os.path.join(odir, f)):
            os.unlink(os.path.join(odir, f))
    cmd = [sensor, '-r', pcap, '-l', odir, '-S', os.path.join(cdir, 'test.rules'),
           '--set', 'detect.sgh-mpm-caching-path=' + cache,
           '--set', 'outputs.eve-log.types.flow=no', '--set', 'stats.enabled=no'] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        return False, 'exit %d: %s' % (p.returncode, p.stderr.decode(errors='replace')[-400:]), cmd
    got = collections.Counter()
    with open(os.path.join(odir, 'eve.json')) as fh:
        for line in fh:
            ev = json.loads(line)
            if ev.get('event_type') == 'alert':
                got[ev['alert']['signature_id']] += 1
    bad = ['sid %d: expected %d, got %d' % (s, n, got.get(s, 0))
           for s, n in sorted(want.items()) if got.get(s, 0) != n]
    return not bad, '; '.join(bad), cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sensor', required=True)
    ap.add_argument('--corpus', default='../shared/corpus')
    ap.add_argument('--out', default='build/verify-out')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('cases', nargs='*')
    a = ap.parse_args()
    base = os.path.join(a.corpus, 'rules', 'suricata-verify')
    if not os.path.isdir(base):
        print('SKIP suricata-verify: %s is absent' % base)
        print('0 passed, 0 failed, 1 skipped')
        return 0
    cases = a.cases or sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))
    cache = os.path.abspath(os.path.join(a.out, 'hs-cache'))
    os.makedirs(cache, exist_ok=True)
    npass = nfail = nskip = 0
    for case in cases:
        if not os.path.exists(os.path.join(a.corpus, 'pcaps', 'sv-%s.pcap' % case)):
            print('SKIP %s: no capture' % case)
            nskip += 1
            continue
        ok, why, cmd = run_case(a.sensor, a.corpus, case, a.out, cache)
        if ok:
            npass += 1
            print('ok   %s' % case)
        else:
            nfail += 1
            print('FAIL %s: %s' % (case, why))
            if a.verbose:
                print('     ' + ' '.join(shlex.quote(c) for c in cmd))
    print('%d of %d cases pass' % (npass, npass + nfail))
    print('%d passed, %d failed, %d skipped' % (npass, nfail, nskip))
    return 0 if nfail == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
