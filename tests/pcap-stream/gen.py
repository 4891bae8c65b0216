#!/usr/bin/env python3
"""gen.py: writes the hand-made TCP captures of tests/pcap-stream/cases/.

Each case is one TCP connection (Ethernet/IPv4, valid checksums, packet
times 1 ms apart from a fixed epoch, so output is byte-for-byte stable)
whose segments are split, reordered, overlapped, retransmitted or lost on
purpose. For each case it writes:
  input.pcap          the capture
  c2s.bin / s2c.bin   the byte stream each direction must reassemble to
                      (bytes lost in a gap are 0x00, as the harness fills them)
  expect.txt          key=value checks on the harness's counters
Usage: gen.py OUTDIR   (stdlib only)
"""
import os
import struct
import sys

CLI = (bytes([10, 0, 0, 1]), 40000)
SRV = (bytes([10, 0, 0, 2]), 80)
EPOCH = 1764201600  # 2025-11-27T00:00:00Z

F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, seq, ack, flags, payload=b"", ipid=1):
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src[0] + dst[0] + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid & 0xFFFF, 0x4000, 64, 6, 0,
                     src[0], dst[0])
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + ip + tcp


class Conn:
    """Builds one connection; client data offsets are relative to ISN+1."""

    def __init__(self, cisn=1000, sisn=5000):
        self.cisn, self.sisn = cisn, sisn
        self.frames = []

    def pkt(self, to_server, off, flags, payload=b"", ack_off=None):
        if to_server:
            seq = self.cisn + 1 + off
            ack = self.sisn + 1 + (ack_off or 0)
            src, dst = CLI, SRV
        else:
            seq = self.sisn + 1 + off
            ack = self.cisn + 1 + (ack_off or 0)
            src, dst = SRV, CLI
        if not flags & F_ACK and not flags & F_SYN:
            ack = 0
        self.frames.append(frame(src, dst, seq, ack, flags, payload, len(self.frames) + 1))

    def handshake(self):
        self.frames.append(frame(CLI, SRV, self.cisn, 0, F_SYN, b"", 1))
        self.frames.append(frame(SRV, CLI, self.sisn, self.cisn + 1, F_SYN | F_ACK, b"", 2))
        self.frames.append(frame(CLI, SRV, self.cisn + 1, self.sisn + 1, F_ACK, b"", 3))

    def close(self, clen, slen):
        self.pkt(True, clen, F_FIN | F_ACK, b"", slen)
        self.pkt(False, slen, F_FIN | F_ACK, b"", clen + 1)
        self.pkt(True, clen + 1, F_ACK, b"", slen + 1)

    def pcap(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for i, f in enumerate(self.frames):
            out.append(struct.pack("<IIII", EPOCH + i // 1000, (i % 1000) * 1000, len(f), len(f)))
            out.append(f)
        return b"".join(out)


REQ = (b"GET /download?id=EVILPATTERN&x=1 HTTP/1.1\r\nHost: portal.example.gov.vn\r\n"
       b"User-Agent: canh-test\r\n\r\n")
RESP = (b"HTTP/1.1 200 OK\r\nContent-Length: 24\r\nContent-Type: text/plain\r\n\r\n"
        b"hello from the server!\r\n")


def cut_at(data, *cuts):
    b = [0, *cuts, len(data)]
    return [(b[i], data[b[i]:b[i + 1]]) for i in range(len(b) - 1)]


def case_split_content():
    """The content is cut in the middle by a segment boundary."""
    c = Conn()
    c.handshake()
    mid = REQ.index(b"EVILPATTERN") + 4  # "...EVIL" | "PATTERN..."
    for off, part in cut_at(REQ, mid):
        c.pkt(True, off, F_ACK | F_PSH, part)
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.close(len(REQ), len(RESP))
    return c, REQ, RESP, {"matches_c2s": 1, "gaps": 0, "overlaps_diff": 0}


def case_out_of_order():
    """Four client segments sent 1,3,4,2 (the content spans 3|4); the
    server's two segments come reversed."""
    c = Conn()
    c.handshake()
    p = REQ.index(b"EVILPATTERN")
    parts = cut_at(REQ, 10, p, p + 6)
    for i in (0, 2, 3, 1):
        c.pkt(True, parts[i][0], F_ACK | F_PSH, parts[i][1])
    sparts = cut_at(RESP, 30)
    for i in (1, 0):
        c.pkt(False, sparts[i][0], F_ACK | F_PSH, sparts[i][1], len(REQ))
    c.close(len(REQ), len(RESP))
    return c, REQ, RESP, {"matches_c2s": 1, "gaps": 0, "out_of_order_min": 3}


def case_overlap_first_wins():
    """An early segment is later overlapped by a longer one carrying other
    bytes (an evasion attempt): the bytes received first are kept, the
    different overlap is reported."""
    c = Conn()
    c.handshake()
    p = REQ.index(b"EVILPATTERN")
    c.pkt(True, 0, F_ACK | F_PSH, REQ[:p])
    c.pkt(True, p + 4, F_ACK | F_PSH, REQ[p + 4:p + 20])          # held: "PATTERN&x=1 HTTP"
    forged = REQ[p:p + 4] + b"XXXXXXXXXXXXXXXX" + REQ[p + 20:]
    c.pkt(True, p, F_ACK | F_PSH, forged)                          # overlaps all of it
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.close(len(REQ), len(RESP))
    return c, REQ, RESP, {"matches_c2s": 1, "gaps": 0, "overlaps_diff_min": 1}


def case_retransmission():
    """Every client segment is sent twice, one more resend overlaps two
    segments; nothing is delivered twice, the content counts once."""
    c = Conn()
    c.handshake()
    mid = REQ.index(b"EVILPATTERN") + 5
    parts = cut_at(REQ, 20, mid, 90)
    for off, part in parts:
        c.pkt(True, off, F_ACK | F_PSH, part)
        c.pkt(True, off, F_ACK | F_PSH, part)
    c.pkt(True, 15, F_ACK, REQ[15:mid + 3])
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.close(len(REQ), len(RESP))
    return c, REQ, RESP, {"matches_c2s": 1, "gaps": 0, "overlaps_diff": 0,
                          "retransmissions_min": 5}


def case_gap_acked():
    """A client segment is missing from the capture but the server ACKs past
    it: a gap of its length, then delivery resumes. Its late copy is not
    delivered."""
    c = Conn()
    c.handshake()
    parts = cut_at(REQ, 20, 40)  # the content (17..28) falls in the hole
    c.pkt(True, parts[0][0], F_ACK | F_PSH, parts[0][1])
    c.pkt(True, parts[2][0], F_ACK | F_PSH, parts[2][1])
    c.pkt(False, 0, F_ACK, b"", len(REQ))
    c.pkt(True, parts[1][0], F_ACK | F_PSH, parts[1][1])
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.close(len(REQ), len(RESP))
    want = REQ[:20] + b"\0" * 20 + REQ[40:]
    return c, want, RESP, {"matches_c2s": 0, "gaps": 1, "gap_bytes": 20}


def case_seq_wrap():
    """Both ISNs just below 2^32: the client's data crosses the wrap, out of
    order."""
    c = Conn(cisn=0xFFFFFFC0, sisn=0xFFFFFFFE)
    c.handshake()
    parts = cut_at(REQ, 40, 70, 100)
    for i in (0, 2, 1, 3):
        c.pkt(True, parts[i][0], F_ACK | F_PSH, parts[i][1])
    c.pkt(False, 0, F_ACK | F_PSH, RESP, len(REQ))
    c.close(len(REQ), len(RESP))
    return c, REQ, RESP, {"matches_c2s": 1, "gaps": 0}


CASES = {
    "split_content": case_split_content,
    "out_of_order": case_out_of_order,
    "overlap_first_wins": case_overlap_first_wins,
    "retransmission": case_retransmission,
    "gap_acked": case_gap_acked,
    "seq_wrap": case_seq_wrap,
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUTDIR")
    for name, fn in CASES.items():
        conn, c2s, s2c, expect = fn()
        d = os.path.join(sys.argv[1], name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input.pcap"), "wb") as f:
            f.write(conn.pcap())
        with open(os.path.join(d, "c2s.bin"), "wb") as f:
            f.write(c2s)
        with open(os.path.join(d, "s2c.bin"), "wb") as f:
            f.write(s2c)
        with open(os.path.join(d, "expect.txt"), "w") as f:
            f.write("# %s\n" % fn.__doc__.replace("\n", " ").split("  ")[0].strip())
            f.write("pattern=EVILPATTERN\n")
            for k, v in expect.items():
                f.write("%s=%d\n" % (k, v))


if __name__ == "__main__":
    main()
