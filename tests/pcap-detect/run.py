#!/usr/bin/env python3
"""Hand-made TCP captures with expected alerts (suite pcap-detect).

Each case below is a list of segments (direction, sequence offset, bytes)
after a three-way handshake; the generator writes a classic pcap (Ethernet,
IPv4, TCP with correct checksums) into --out, a rules file, runs canh-sensor
on it and compares the number of alerts per sid with the case's expectation.
Cases: contents split across segments, out-of-order segments, overlaps (the
"first" policy: bytes already received win), retransmissions, packet-only vs
stream rules, and an HTTP request split inside its URI.
"""
import argparse
import collections
import json
import os
import struct
import subprocess
import sys

CLI, SRV = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
CPORT, SPORT = 40000, 80
ISN_C, ISN_S = 1000, 5000

RULES = """\
alert tcp any any -> any any (msg:"stream content"; content:"EVILPATTERN"; sid:1;)
alert tcp-pkt any any -> any any (msg:"packet content"; content:"EVILPATTERN"; sid:2;)
alert tcp any any -> any any (msg:"only if overlap lost"; content:"GOODPATTERN"; sid:3;)
alert http any any -> any any (msg:"uri"; flow:established,to_server; http.uri; content:"/evil/path"; sid:4;)
alert http any any -> any any (msg:"ua"; http.user_agent; content:"BadBot"; sid:5;)
alert tcp any any -> any any (msg:"dsize with content is a packet rule"; dsize:>5; content:"EVIL"; sid:6;)
"""

def chain(d, chunks):
    """Consecutive segments of direction d."""
    out, off = [], 0
    for c in chunks:
        out.append((d, off, c))
        off += len(c)
    return out


# (name, segments, expected {sid: count}); a segment is (dir, offset, bytes), dir 0 = client
CASES = [
    ('whole', [(0, 0, b'xxEVILPATTERNxx')], {1: 1, 2: 1, 3: 0, 6: 1}),
    ('split', [(0, 0, b'xxxxEVILPA'), (0, 10, b'TTERNyyyy')], {1: 1, 2: 0, 6: 1}),
    ('split3', [(0, 0, b'EVI'), (0, 3, b'LPAT'), (0, 7, b'TERN')], {1: 1, 2: 0, 6: 0}),
    ('out-of-order', [(0, 10, b'TTERNyyyy'), (0, 0, b'xxxxEVILPA')], {1: 1, 2: 0}),
    ('retransmission', [(0, 0, b'xxEVILPATTERNxx'), (0, 0, b'xxEVILPATTERNxx'),
                        (0, 0, b'xxEVILPATTERNxx')], {1: 1, 2: 3, 6: 3}),
    # first policy: the later, different copy of bytes 0..14 is ignored
    ('overlap-first-wins', [(0, 0, b'xxEVILPATTERNxx'), (0, 0, b'xxGOODPATTERNxx')], {1: 1, 3: 0}),
    # neither packet holds the whole content: only the stream sees it
    ('overlap-partial', [(0, 0, b'xxEVILPAT'), (0, 4, b'ILPATTERNzz')], {1: 1, 2: 0}),
    # a hole filled later: held data is delivered once, with the gap closed
    ('hole-filled', [(0, 0, b'aaaa'), (0, 8, b'PATTERNbb'), (0, 4, b'EVIL')], {1: 1, 2: 0}),
    ('two-occurrences', [(0, 0, b'EVILPATTERN--'), (0, 13, b'--EVILPATTERN')], {1: 2, 2: 2}),
    ('http-split-uri', chain(0, [b'GET /evil/pa', b'th HTTP/1.1\r\nHost: a\r\nUser-Agent: Ba', b'dBot\r\n\r\n']) +
     [(1, 0, b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')], {4: 1, 5: 1}),
    # two requests on one connection, the second split in its header
    ('http-keepalive', chain(0, [b'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /evil/path HTTP/1.1\r\nUser-Agent: Bad',
                               b'Bot\r\n\r\n']), {4: 1, 5: 1}),
    ('http-out-of-order', [(0, 12, b'th HTTP/1.1\r\nHost: a\r\n\r\n'), (0, 0, b'GET /evil/pa')], {4: 1}),
]


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sp, dp, seq, ack, flags, payload):
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack('!BBH', 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x00\x00\x00\x00\x00\x02' + b'\x00\x00\x00\x00\x00\x01' + b'\x08\x00' + ip + tcp + payload


def write_pcap(path, segments):
    frames = []
    frames.append(frame(CLI, SRV, CPORT, SPORT, ISN_C, 0, 0x02, b''))
    frames.append(frame(SRV, CLI, SPORT, CPORT, ISN_S, ISN_C + 1, 0x12, b''))
    frames.append(frame(CLI, SRV, CPORT, SPORT, ISN_C + 1, ISN_S + 1, 0x10, b''))
    for d, off, data in segments:
        if d == 0:
            frames.append(frame(CLI, SRV, CPORT, SPORT, ISN_C + 1 + off, ISN_S + 1, 0x18, data))
        else:
            frames.append(frame(SRV, CLI, SPORT, CPORT, ISN_S + 1 + off, ISN_C + 1, 0x18, data))
    hi = [ISN_C + 1, ISN_S + 1]
    for d, off, data in segments:
        hi[d] = max(hi[d], (ISN_C if d == 0 else ISN_S) + 1 + off + len(data))
    frames.append(frame(CLI, SRV, CPORT, SPORT, hi[0], hi[1], 0x11, b''))
    frames.append(frame(SRV, CLI, SPORT, CPORT, hi[1], hi[0] + 1, 0x11, b''))
    frames.append(frame(CLI, SRV, CPORT, SPORT, hi[0] + 1, hi[1] + 1, 0x10, b''))
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            fh.write(struct.pack('<IIII', 1700000000, i * 1000, len(f), len(f)) + f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sensor', required=True)
    ap.add_argument('--out', default='build/pcap-detect-out')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rules = os.path.join(a.out, 'test.rules')
    with open(rules, 'w') as fh:
        fh.write(RULES)
    npass = nfail = 0
    for name, segs, want in CASES:
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        for f in ('eve.json', 'canh.seq'):
            if os.path.exists(os.path.join(d, f)):
                os.unlink(os.path.join(d, f))
        pcap = os.path.join(d, 'input.pcap')
        write_pcap(pcap, segs)
        p = subprocess.run([a.sensor, '-r', pcap, '-l', d, '-S', rules, '-k', 'all',
                            '--set', 'detect.sgh-mpm-caching-path=' + os.path.join(a.out, 'cache'),
                            '--set', 'stream.reassembly.match-window=64'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        got = collections.Counter()
        if p.returncode == 0:
            with open(os.path.join(d, 'eve.json')) as fh:
                for line in fh:
                    ev = json.loads(line)
                    if ev.get('event_type') == 'alert':
                        got[ev['alert']['signature_id']] += 1
        bad = ['sid %d: expected %d, got %d' % (s, n, got.get(s, 0))
               for s, n in sorted(want.items()) if got.get(s, 0) != n]
        if p.returncode != 0:
            bad = ['exit %d: %s' % (p.returncode, p.stderr.decode(errors='replace')[-300:])]
        if bad:
            nfail += 1
            print('FAIL %s: %s' % (name, '; '.join(bad)))
        else:
            npass += 1
            print('ok   %s' % name)
    print('%d passed, %d failed, 0 skipped' % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
