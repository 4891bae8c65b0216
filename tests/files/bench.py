#!/usr/bin/env python3
"""bench-files: figures for file carving and YARA.

1. Carves the files of the corpus captures that hold HTTP objects (the
   captures of reference/http-objects) with file-store on, then measures
   YARA throughput (MB/s, one thread) on those files with the corpus rules
   (yara/index.yar) plus signatures/yara (tests/files/yara_bench).
2. Builds an HTTP-heavy capture (~TARGET MB) from the same captures with
   tools/pcap_remap (each copy's addresses remapped), and runs canh-sensor
   on it (1 worker, best of 3 by CPU seconds of the process: workers, scan
   thread and all) with files off, files on + YARA off, YARA on,
   and YARA on with the sha256 cache off (every copy of a file scanned:
   the copies repeat the same files, so the cache would hide YARA's cost),
   each with stream heads off, then YARA on with stream heads (the first
   4 KB of every TCP direction, the default; scanned with the rules that
   need no module).
Prints packets/s and Mbit/s per run and the ratio to the files-off run.
Exits 0 with a message when the corpus is absent. Python 3 stdlib only.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import time


class Result:
    pass


def run(cmd):
    """Wall and CPU seconds (user + sys of the child, from wait4: the machine
    is shared, so CPU time is the steadier figure)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    r = Result()
    r.returncode = os.waitstatus_to_exitcode(status)
    r.stderr = err
    r.cpu = ru.ru_utime + ru.ru_stime
    p.returncode = r.returncode
    return time.monotonic() - t, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sensor', required=True)
    ap.add_argument('--yara-bench', required=True)
    ap.add_argument('--remap', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--target-mb', type=int, default=200)
    a = ap.parse_args()
    tsv = os.path.join(a.corpus, 'reference/http-objects/http-objects.tsv')
    if not os.path.exists(tsv):
        print('bench-files: %s absent, skipped' % tsv)
        return 0
    pcaps = sorted({l.split('\t')[0] for l in open(tsv) if l.endswith('\n') and '\t' in l
                    and not l.startswith('#') and not l.startswith('pcap\t')})
    pcaps = [os.path.join(a.corpus, 'pcaps', p) for p in pcaps]
    index = os.path.join(a.corpus, 'yara', 'index.yar')
    os.makedirs(a.out, exist_ok=True)

    # 1. carve, then YARA MB/s on the carved files
    store = os.path.join(a.out, 'carve')
    shutil.rmtree(store, ignore_errors=True)
    for p in pcaps:
        d = os.path.join(store, os.path.basename(p))
        os.makedirs(d)
        subprocess.run([a.sensor, '-r', p, '-l', d, '-k', 'none', '--set', 'file-store.enabled=yes',
                        '--set', 'file-store.dir=' + os.path.abspath(os.path.join(store, 'files')),
                        '--set', 'yara.enabled=no'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    files = [f for f in glob.glob(os.path.join(store, 'files', '??', '*')) if os.path.isfile(f)]
    total = sum(os.path.getsize(f) for f in files)
    print('bench-files: %d distinct carved files, %d bytes' % (len(files), total))
    p = subprocess.run([a.yara_bench, '5', index, 'signatures/yara', '--'] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.decode().strip()
    print('bench-files: ' + line)
    # ceiling: Debian's yara CLI on the same files with the same corpus rules,
    # compiled once (yarac), one thread, CPU seconds of 10 passes
    ours = float(line.split(' MB/s')[0].split()[-1]) if 'MB/s' in line else 0
    if shutil.which('yara') and shutil.which('yarac') and files:
        comp = os.path.join(a.out, 'index.yarc')
        subprocess.run(['yarac', '-w', index, comp], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        lst = os.path.join(a.out, 'files.txt')
        with open(lst, 'w') as fh:
            fh.write('\n'.join(files) + '\n')
        cpu = 0.0
        for _ in range(10):
            _, r = run(['yara', '-w', '-p', '1', '-C', comp, '--scan-list', lst])
            cpu += r.cpu
        cli = 10 * total / cpu / 1e6 if cpu else 0
        print('bench-files: yara CLI (ceiling, corpus rules only): %.1f MB/s per CPU-s; ours %.2f of it'
              ' (ours also runs signatures/yara)' % (cli, ours / cli if cli else 0))

    # 2. sensor throughput on an HTTP-heavy capture, YARA off and on
    cap = os.path.join(a.out, 'http-heavy.pcap')
    if not os.path.exists(cap):
        subprocess.run([a.remap, '-g', '50', cap, str(a.target_mb)] + pcaps, check=True,
                       stdout=subprocess.DEVNULL)
    size = os.path.getsize(cap)
    with open(cap, 'rb') as fh:
        while fh.read(1 << 22):
            pass
    pkts = int(subprocess.run(['capinfos', '-c', '-M', cap], stdout=subprocess.PIPE)
               .stdout.decode().split()[-1]) if shutil.which('capinfos') else 0
    off = ['--set', 'yara.stream-scan-depth=0']
    modes = [('files off', ['--set', 'files.enabled=no', '--set', 'yara.enabled=no']),
             ('files on, YARA off', ['--set', 'yara.enabled=no']),
             ('YARA on (corpus + own rules)', ['--yara', index] + off),
             ('YARA on, cache off', ['--yara', index, '--set', 'yara.cache-size=0'] + off),
             ('YARA on + stream heads 4 KB', ['--yara', index, '--set', 'yara.stream-scan-depth=4096'])]
    base = None
    for name, extra in modes:
        best = None
        for _ in range(3):
            d = os.path.join(a.out, 'run')
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            t, p = run([a.sensor, '-r', cap, '-l', d, '-k', 'none', '--set', 'logging.level=info',
                        '--set', 'outputs.eve-log.types.flow=no'] + extra)
            if p.returncode != 0:
                print('bench-files: %s: exit %d' % (name, p.returncode))
                break
            best = p.cpu if best is None else min(best, p.cpu)
            wall = t if best == p.cpu else locals().get('wall', t)
            summary = [l for l in p.stderr.decode().splitlines() if 'files:' in l and 'scanned' in l]
        if best is None:
            continue
        base = base or best
        print('bench-files: %-30s %6.2f s CPU (%5.2f s wall)  %9.0f pkt/s  %7.0f Mbit/s per CPU-s  '
              '(%.2f of files off)%s' %
              (name, best, wall, pkts / best if pkts else 0, size * 8 / best / 1e6, base / best,
               ('  [' + summary[-1].split('files: ', 1)[1] + ']') if summary else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
