#!/usr/bin/env python3
"""pcap regression suite: runs canh-sensor on corpus captures and checks
eve.json with count + field-subset filters (tests/pcap/<case>/expect.json),
never whole golden files. Every EVE line is also checked against the common
shape (timestamp, event_type, canh identity with unique consecutive seq).

expect.json:
  {"pcap": "<name in ../shared/corpus/pcaps>", "args": [...],
   "checks": [{"filter": {"event_type": "flow", "flow.pkts_toserver": 51}, "count": 1}, ...],
   "same_flows_for_workers": [1, 2]}       (optional: flow event sets must be equal)
A filter key is a dotted path; a value must be equal. "count" is exact,
"min" a lower bound. A case whose capture is missing is skipped by name.
"""
import argparse
import json
import os
import re
import subprocess
import sys

MISSING = object()


def get(ev, path):
    cur = ev
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def matches(ev, flt):
    return all(get(ev, k) == v for k, v in flt.items())


def run_sensor(sensor, pcap, outdir, args):
    os.makedirs(outdir, exist_ok=True)
    for f in ('eve.json', 'canh.seq'):
        p = os.path.join(outdir, f)
        if os.path.exists(p):
            os.remove(p)
    cmd = [sensor, '-r', pcap, '-l', outdir, '--set', 'sensor-id=pcaptest'] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if r.returncode != 0:
        raise RuntimeError('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr.decode()[-500:]))
    events = []
    with open(os.path.join(outdir, 'eve.json')) as f:
        for n, line in enumerate(f, 1):
            events.append(json.loads(line))
    return events


SEQ_ID = re.compile(r'^pcaptest:\d+$')


def check_shape(events):
    errs = []
    seqs = []
    for i, e in enumerate(events):
        for k in ('timestamp', 'event_type', 'canh'):
            if k not in e:
                errs.append('line %d: no %s' % (i + 1, k))
        c = e.get('canh', {})
        if c.get('sensor') != 'pcaptest' or not SEQ_ID.match(str(c.get('id', ''))) \
                or c.get('id') != 'pcaptest:%s' % c.get('seq'):
            errs.append('line %d: bad canh %r' % (i + 1, c))
        seqs.append(c.get('seq'))
        if e.get('event_type') in ('flow', 'alert') and not isinstance(e.get('flow_id'), int):
            errs.append('line %d: no flow_id' % (i + 1))
    if sorted(s for s in seqs if isinstance(s, int)) != list(range(len(events))):
        errs.append('canh.seq is not 0..%d without gaps or repeats' % (len(events) - 1))
    return errs


def flow_set(events):
    return sorted(json.dumps({k: e.get(k) for k in ('flow_id', 'src_ip', 'src_port', 'dest_ip',
                                                      'dest_port', 'proto', 'app_proto', 'flow', 'ndpi')},
                             sort_keys=True)
                  for e in events if e['event_type'] == 'flow')


def run_case(name, spec, a):
    pcap = os.path.join(a.corpus, 'pcaps', spec['pcap'])
    if not os.path.exists(pcap):
        return 'skip', 'corpus capture %s absent' % spec['pcap']
    out = os.path.join(a.out, name)
    events = run_sensor(a.sensor, pcap, out, spec.get('args', []))
    errs = check_shape(events)
    for chk in spec.get('checks', []):
        n = sum(1 for e in events if matches(e, chk['filter']))
        if 'count' in chk and n != chk['count']:
            errs.append('filter %s: %d events, expected %d' % (json.dumps(chk['filter']), n, chk['count']))
        if 'min' in chk and n < chk['min']:
            errs.append('filter %s: %d events, expected at least %d' % (json.dumps(chk['filter']), n, chk['min']))
    wl = spec.get('same_flows_for_workers')
    if wl:
        sets = {}
        for w in wl:
            ev = run_sensor(a.sensor, pcap, out + '-w%d' % w, ['--workers', str(w)] + spec.get('args', []))
            sets[w] = flow_set(ev)
        base = sets[wl[0]]
        if not base:
            errs.append('no flow events to compare')
        for w in wl[1:]:
            if sets[w] != base:
                diff = set(sets[w]) ^ set(base)
                errs.append('--workers %d gives %d flow events, --workers %d gives %d; %d differ, e.g. %s'
                            % (wl[0], len(base), w, len(sets[w]), len(diff), sorted(diff)[:1]))
    return ('fail', '; '.join(errs)) if errs else ('ok', '')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sensor', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('cases', nargs='*')
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    names = a.cases or sorted(d for d in os.listdir(here) if os.path.isfile(os.path.join(here, d, 'expect.json')))
    counts = {'ok': 0, 'fail': 0, 'skip': 0}
    for name in names:
        with open(os.path.join(here, name, 'expect.json')) as f:
            spec = json.load(f)
        try:
            res, why = run_case(name, spec, a)
        except Exception as e:  # a crash or bad JSON is a failure of that case
            res, why = 'fail', str(e)
        counts[res] += 1
        print('%-4s %s%s' % (res, name, (': ' + why) if why else ''))
    print('%d passed, %d failed, %d skipped' % (counts['ok'], counts['fail'], counts['skip']))
    return 1 if counts['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
