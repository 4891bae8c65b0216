"""Protocol logs (dns, tls, http) of canh-sensor checked against independent
readers, for the `files` suite (run.py calls run_all).

- dns: every DNS message tshark decodes in the corpus DNS captures (UDP,
  IP-fragmented and TCP) must appear as a dns event with the same id, type,
  rrname, rcode and the same answer records (A, AAAA, CNAME, MX, TXT, PTR,
  NS, SOA: name, type, ttl, value; tshark's -T json tree, section by
  section); authorities likewise.
- tls: the leaf certificate of every handshake tshark shows: SHA-1 of its
  DER (from tls.handshake.certificate) = our fingerprint; subject, issuer
  and validity equal to ndpiReader's reference lines (nDPI's own parser);
  SNI, JA3 and JA3S hashes and strings equal to tshark's.
- http: a request without a response gets its http event at flow end, and
  so does a pipelined request the server never answered (generated).
- DNS over TCP detection: dns.query matches a query split across segments.
Each check is skipped by name when its capture or tool is absent.
"""
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess


def _tshark_json(pcap, filt):
    p = subprocess.run(['tshark', '-r', pcap, '-Y', filt, '-T', 'json', '-o', 'tcp.desegment_tcp_streams:TRUE'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # keep repeated keys (two records tshark describes alike) as lists
    def pairs(kv):
        d = {}
        for k, v in kv:
            d.setdefault(k, []).append(v)
        return {k: (v[0] if len(v) == 1 else v) for k, v in d.items()}
    return json.loads(p.stdout.decode(errors='replace') or '[]', object_pairs_hook=pairs)


def _items(x):
    return x if isinstance(x, list) else [x]


def _one(x):
    return x[0] if isinstance(x, list) else x


RRTYPES = {1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA'}
VALUE = {1: 'dns.a', 2: 'dns.ns', 5: 'dns.cname', 12: 'dns.ptr.domain_name',
         15: 'dns.mx.mail_exchange', 16: 'dns.txt', 28: 'dns.aaaa'}
RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']


def _name(n):
    """Names with bytes outside ASCII (iodine): tshark replaces invalid UTF-8
    sequences with U+FFFD, we escape each byte; such names match by id only."""
    return '<binary>' if isinstance(n, str) and any(ord(c) > 127 for c in n) else n


def _norm(t, v):
    if t in (1, 28):
        return str(ipaddress.ip_address(v))
    return v


def _tshark_section(layer, name):
    out = []
    for sec in _items(layer.get(name, {})):
        for desc, recs in sec.items():
            for r in _items(recs):
                if not isinstance(r, dict):
                    continue
                t = int(_one(r.get('dns.resp.type', 0)))
                if t not in RRTYPES:
                    continue
                if t == 6:
                    v = (r.get('dns.soa.mname'), r.get('dns.soa.rname'),
                         int(_one(r.get('dns.soa.serial_number', 0))))
                else:
                    v = r.get(VALUE[t])
                    if isinstance(v, list):      # TXT with several strings
                        v = ''.join(v)
                    v = _norm(t, v)
                out.append((_one(r.get('dns.resp.name')), RRTYPES[t], int(_one(r.get('dns.resp.ttl', 0))), v))
    return sorted(out, key=repr)


def _ours_section(recs):
    out = []
    for r in recs or []:
        t = next((k for k, n in RRTYPES.items() if n == r['rrtype']), None)
        if t is None:
            continue
        if t == 6:
            v = (r['soa']['mname'], r['soa']['rname'], r['soa']['serial'])
        else:
            v = _norm(t, r.get('rdata'))
        out.append((r['rrname'], r['rrtype'], r['ttl'], v))
    return sorted(out, key=repr)


def dns_corpus(ctx, pcaps):
    for name in pcaps:
        path = os.path.join(ctx.corpus, 'pcaps', name)
        if not os.path.exists(path) or not shutil.which('tshark'):
            ctx.skip('proto-dns-' + name, 'capture or tshark absent')
            continue
        rc, events, err = ctx.run_sensor(path, 'dns-' + name, [])
        ours = {}
        for e in events:
            if e['event_type'] != 'dns':
                continue
            d = e['dns']
            k = (d['id'], d['type'] == 'answer', _name(d.get('rrname')), e['proto'])
            ours.setdefault(k, []).append(d)
        want, bad, n = [], [], 0
        for pkt in _tshark_json(path, 'dns'):
            layers = pkt['_source']['layers']
            if 'icmp' in layers or 'icmpv6' in layers:
                continue        # a DNS message quoted in an ICMP error is no message
            for layer in _items(layers.get('dns', [])):
                if 'dns.id' not in layer:
                    continue
                n += 1
                fl = layer['dns.flags_tree']
                resp = fl['dns.flags.response'] == '1'
                q = next(iter(_items(layer.get('Queries', {}))), {})
                qrec = _items(next(iter(q.values())))[0] if q else {}
                proto = 'TCP' if 'tcp' in layers else 'UDP'
                k = (int(layer['dns.id'], 16), resp, _name(qrec.get('dns.qry.name')), proto)
                got = ours.get(k) or []
                if not got:
                    bad.append('%s: no event' % (k,))
                    continue
                d = got.pop(0)
                qt = int(qrec.get('dns.qry.type', 0))
                if d['rrtype'] != RRTYPES.get(qt, d['rrtype']):
                    bad.append('%s: rrtype %s, tshark %d' % (k, d['rrtype'], qt))
                if not resp:
                    continue
                rcode = int(fl['dns.flags.rcode'])
                if rcode < len(RCODES) and d.get('rcode') != RCODES[rcode]:
                    bad.append('%s: rcode %s, tshark %d' % (k, d.get('rcode'), rcode))
                if _ours_section(d.get('answers')) != _tshark_section(layer, 'Answers'):
                    bad.append('%s: answers %s != tshark %s' % (k, _ours_section(d.get('answers')),
                                                                 _tshark_section(layer, 'Answers')))
                if _ours_section(d.get('authorities')) != _tshark_section(layer, 'Authoritative nameservers'):
                    bad.append('%s: authorities differ' % (k,))
        extra = sum(len(v) for v in ours.values())
        ctx.check('proto-dns-' + name, [(rc == 0, 'exit %d' % rc), (n > 0, 'tshark saw no DNS'),
                                        (not bad, '%d of %d differ: %s' % (len(bad), n, '; '.join(bad[:3]))),
                                        (extra == 0, '%d events tshark does not show' % extra)])


def _ndpi_certs(ctx, name):
    """(subject, issuer, sha1, validity) from ndpiReader's reference lines."""
    ref = os.path.join(ctx.corpus, 'reference', 'ndpi', name.replace('.pcap', '.txt'))
    out = []
    if not os.path.exists(ref):
        return out
    for line in open(ref, errors='replace'):
        if 'Certificate SHA-1: ' not in line:
            continue
        f = {}
        for part in line.split('['):
            if ': ' in part:
                k, v = part.split(': ', 1)
                f[k.strip()] = v.rstrip('] \n').rstrip(']')
        out.append((f.get('Subject'), f.get('Issuer'), f.get('Certificate SHA-1', '').lower(),
                    f.get('Validity')))
    return out


def tls_corpus(ctx, pcaps):
    for name in pcaps:
        path = os.path.join(ctx.corpus, 'pcaps', name)
        if not os.path.exists(path) or not shutil.which('tshark'):
            ctx.skip('proto-tls-' + name, 'capture or tshark absent')
            continue
        rc, events, err = ctx.run_sensor(path, 'tls-' + name, [])
        tls = [e['tls'] for e in events if e['event_type'] == 'tls']
        fps = sorted(t.get('fingerprint') for t in tls if t.get('fingerprint'))
        # tshark 4.0 does not reorder segments by default; we do (ndpi-google_ssl)
        p = subprocess.run(['tshark', '-r', path, '-o', 'tcp.reassemble_out_of_order:TRUE',
                            '-Y', 'tls.handshake.certificate', '-T', 'fields',
                            '-E', 'occurrence=f', '-e', 'tls.handshake.certificate'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        want = []
        for line in p.stdout.decode().split():
            der = bytes.fromhex(line.replace(':', ''))
            h = hashlib.sha1(der).hexdigest()
            want.append(':'.join(h[i:i + 2] for i in range(0, 40, 2)))
        conds = [(rc == 0, 'exit %d' % rc), (tls or not want, 'no tls events'),
                 (fps == sorted(want), 'fingerprints %s, tshark %s' % (fps, sorted(want)))]
        for subj, iss, sha1, valid in _ndpi_certs(ctx, name):
            t = next((t for t in tls if t.get('fingerprint') == sha1), None)
            if subj and subj.count('CN=') > 1 and 'emailAddress' in (t or {}).get('subject', ''):
                # nDPI 4.x prints such a subject twice and drops emailAddress (its bug):
                # compare with the first half
                subj = subj[:len(subj) // 2].rstrip(', ') + ', emailAddress=' + \
                    t['subject'].split('emailAddress=')[1]
            conds.append((t is not None, 'nDPI certificate %s not logged' % sha1))
            if t is None:
                continue
            conds.append((t.get('subject') == subj, 'subject %r, nDPI %r' % (t.get('subject'), subj)))
            conds.append((t.get('issuerdn') == iss, 'issuer %r, nDPI %r' % (t.get('issuerdn'), iss)))
            if valid:
                ours = '%s - %s' % (t.get('notbefore', '').replace('T', ' '),
                                    t.get('notafter', '').replace('T', ' '))
                conds.append((ours == valid, 'validity %r, nDPI %r' % (ours, valid)))
        # hello fingerprints: tshark's JA3/JA3S of each handshake
        p = subprocess.run(['tshark', '-r', path, '-Y', 'tls.handshake.type == 1 || tls.handshake.type == 2',
                            '-T', 'fields', '-e', 'tls.handshake.ja3', '-e', 'tls.handshake.ja3_full',
                            '-e', 'tls.handshake.ja3s', '-e', 'tls.handshake.ja3s_full',
                            '-e', 'tls.handshake.extensions_server_name'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ja3 = {((t.get('ja3') or {}).get('hash'), (t.get('ja3') or {}).get('string'), t.get('sni', ''))
               for t in tls}
        ja3s = {(t.get('ja3s') or {}).get('hash') for t in tls}
        for line in p.stdout.decode().splitlines():
            f = (line.split('\t') + [''] * 5)[:5]
            if f[0]:
                conds.append(((f[0], f[1], f[4]) in ja3,
                              'ClientHello ja3 %s sni %s not logged alike' % (f[0], f[4])))
            if f[2]:
                conds.append((f[2] in ja3s, 'ServerHello ja3s %s not logged' % f[2]))
        ctx.check('proto-tls-' + name, conds)


def http_unanswered(ctx):
    """A request the server never answers, and a pipelined pair where only
    the first gets a response: an http event for each request."""
    req1 = b'GET /no-answer HTTP/1.1\r\nHost: quiet.example\r\nUser-Agent: canh-test\r\n\r\n'
    frames = ctx.conversation(41100, 80, req1, b'')
    req2 = (b'GET /first HTTP/1.1\r\nHost: pipe.example\r\n\r\n'
            b'GET /second HTTP/1.1\r\nHost: pipe.example\r\n\r\n')
    resp2 = b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
    frames += ctx.conversation(41101, 80, req2, resp2)
    events = ctx.case_events('http-unanswered', frames, [])
    if events is None:
        return
    h = {e['http'].get('url'): e for e in events if e['event_type'] == 'http'}
    a = h.get('/no-answer', {}).get('http', {})
    ctx.check('http-unanswered', [
        (sorted(h) == ['/first', '/no-answer', '/second'], 'http events for %s' % sorted(h)),
        (a.get('hostname') == 'quiet.example' and a.get('http_user_agent') == 'canh-test' and
         'status' not in a, 'unanswered request logged as %s' % a),
        (h.get('/first', {}).get('http', {}).get('status') == 200, 'answered request has its status'),
        ('status' not in h.get('/second', {}).get('http', {'status': 0}), 'second request has no status'),
        (h.get('/second', {}).get('tx_id') == 1, 'second request tx_id %s' % h.get('/second', {}).get('tx_id')),
    ])


def _dns_msg(qid, name, qr=False, answers=()):
    def qname(n):
        return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'
    flags = 0x8180 if qr else 0x0100
    m = qid.to_bytes(2, 'big') + flags.to_bytes(2, 'big') + (1).to_bytes(2, 'big')
    m += len(answers).to_bytes(2, 'big') + b'\0\0\0\0' + qname(name) + b'\0\x01\0\x01'
    for addr in answers:
        m += b'\xc0\x0c\0\x01\0\x01\0\0\x01\x2c\0\x04' + bytes(int(x) for x in addr.split('.'))
    return m


def dns_tcp(ctx):
    """Two queries over one TCP connection, the first split inside its length
    prefix, the answers in one segment: two query and two answer events, and
    a dns.query rule alerts on the split one."""
    q1 = _dns_msg(0x1111, 'split.evil.example')
    q2 = _dns_msg(0x2222, 'second.example')
    a1 = _dns_msg(0x1111, 'split.evil.example', True, ['192.0.2.7'])
    a2 = _dns_msg(0x2222, 'second.example', True, ['192.0.2.8', '192.0.2.9'])
    req = len(q1).to_bytes(2, 'big') + q1 + len(q2).to_bytes(2, 'big') + q2
    resp = len(a1).to_bytes(2, 'big') + a1 + len(a2).to_bytes(2, 'big') + a2
    frames = ctx.conversation(41200, 53, req, resp, seg=1, resp_seg=1400)
    rules = os.path.join(ctx.out, 'gen', 'dns-tcp.rules')
    os.makedirs(os.path.dirname(rules), exist_ok=True)
    with open(rules, 'w') as fh:
        fh.write('alert dns any any -> any any (msg:"dns.query over tcp"; dns.query; '
                 'content:"evil.example"; sid:9100001; rev:1;)\n')
    events = ctx.case_events('dns-tcp', frames, ['-S', rules])
    if events is None:
        return
    d = [e for e in events if e['event_type'] == 'dns']
    q = sorted((e['dns']['id'], e['dns']['rrname']) for e in d if e['dns']['type'] == 'query')
    ans = {e['dns']['id']: e['dns'] for e in d if e['dns']['type'] == 'answer'}
    al = [e for e in events if e['event_type'] == 'alert']
    ctx.check('dns-over-tcp', [
        (q == [(0x1111, 'split.evil.example'), (0x2222, 'second.example')], 'queries %s' % q),
        (ans.get(0x2222, {}).get('grouped', {}).get('A') == ['192.0.2.8', '192.0.2.9'],
         'answer %s' % ans.get(0x2222)),
        (ans.get(0x1111, {}).get('answers', [{}])[0].get('rdata') == '192.0.2.7', 'answer 1'),
        ([x['alert']['signature_id'] for x in al] == [9100001], 'alerts %s' % al),
    ])


def run_all(ctx):
    dns_corpus(ctx, ['ndpi-dns_fragmented.pcap', 'pcapattack-c2-cmds-over-dns-txt.pcap',
                     'sv-dns-detect-query-02.pcap', 'ndpi-malware.pcap', 'ndpi-dns-tunnel-iodine.pcap'])
    tls_corpus(ctx, ['ndpi-443-curl.pcap', 'ndpi-selfsigned.pcap', 'ndpi-google_ssl.pcap',
                     'ndpi-tor.pcap', 'ndpi-tls_esni_sni_both.pcap', 'ndpi-ja3_lots_of_cipher_suites.pcap',
                     'ndpi-malware.pcap'])
    http_unanswered(ctx)
    dns_tcp(ctx)
