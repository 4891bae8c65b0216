/* gen_demo: writes the demo capture (make build/demo/demo.pcap): about ten
 * minutes of a provincial office network (HOME_NET 10.20.0.0/16) from
 * 2026-11-20T08:00:00Z: DNS, HTTP, TLS, NTP, ICMP and inbound portal visits,
 * with a SYN port scan, an SSH brute force, SQL injection and XSS against
 * the portal, the victim calling back to the attacker, an EICAR download and
 * DNS tunnel/DGA lookups mixed in. Deterministic: fixed seed, simulated clock.
 * Attackers use documentation ranges (198.51.100.0/24, 203.0.113.0/24).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_pkt.h"
#include "gen_proto.h"

#define DEMO_START_US (1795161600ULL * 1000000ULL) /* 2026-11-20T08:00:00Z */
#define DEMO_SEED 0x43616e6844656d6fULL           /* "CanhDemo" */
#define MS 1000ULL
#define SEC 1000000ULL

/* Site hosts. */
#define H_DNS GEN_IP(10, 20, 0, 53)
#define H_NTP GEN_IP(10, 20, 0, 10)
#define H_MON GEN_IP(10, 20, 0, 5)
#define H_SSH GEN_IP(10, 20, 1, 10)
#define H_APP GEN_IP(10, 20, 1, 20)
#define H_WEB GEN_IP(10, 20, 1, 30)
/* Attackers. */
#define X_SCAN GEN_IP(198, 51, 100, 23)
#define X_FILES GEN_IP(198, 51, 100, 80)
#define X_BRUTE GEN_IP(203, 0, 113, 45)
#define X_WEB GEN_IP(203, 0, 113, 66)
#define X_DNS GEN_IP(8, 8, 8, 8)

static const char *const demo_ua_chrome =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36";
static const char *const demo_ua_firefox =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";

/* The EICAR anti-virus test file (68 bytes, harmless by design). */
static const char demo_eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

struct demo_site {
    const char *host;
    uint32_t ip;
};

static const struct demo_site demo_tls_sites[] = {
    { "www.google.com", GEN_IP(142, 250, 199, 36) },
    { "mail.google.com", GEN_IP(142, 250, 204, 69) },
    { "login.microsoftonline.com", GEN_IP(20, 190, 160, 20) },
    { "outlook.office365.com", GEN_IP(52, 98, 207, 2) },
    { "www.facebook.com", GEN_IP(157, 240, 15, 35) },
    { "github.com", GEN_IP(140, 82, 121, 4) },
    { "zalo.me", GEN_IP(49, 213, 78, 10) },
    { "dichvucong.gov.vn", GEN_IP(14, 225, 192, 12) },
    { "www.youtube.com", GEN_IP(142, 250, 66, 78) },
    { "update.googleapis.com", GEN_IP(142, 250, 199, 67) },
};
#define DEMO_NTLS (sizeof(demo_tls_sites) / sizeof(demo_tls_sites[0]))

struct demo_http {
    const char *host;
    uint32_t ip;
    const char *path;
    const char *ua;
    const char *ctype;
};

static const struct demo_http demo_http_sites[] = {
    { "www.msftconnecttest.com", GEN_IP(13, 107, 4, 52), "/connecttest.txt", "Microsoft NCSI",
      "text/plain" },
    { "detectportal.firefox.com", GEN_IP(34, 107, 221, 82), "/canonical.html", NULL, "text/html" },
    { "news.example.com", GEN_IP(93, 184, 215, 14), "/thoi-su/index.html", NULL,
      "text/html; charset=utf-8" },
    { "archive.ubuntu.com", GEN_IP(91, 189, 91, 81), "/ubuntu/dists/jammy/InRelease",
      "Debian APT-HTTP/1.3 (2.4.11)", "text/plain" },
    { "ctldl.windowsupdate.com", GEN_IP(23, 55, 201, 75),
      "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab",
      "Microsoft-CryptoAPI/10.0", "application/vnd.ms-cab-compressed" },
};
#define DEMO_NHTTP (sizeof(demo_http_sites) / sizeof(demo_http_sites[0]))

static uint8_t demo_buf[65536];
static char demo_txt[65536];
static int demo_err;

static uint32_t demo_desktop(struct gen_out *o)
{
    return GEN_IP(10, 20, 10, gen_rand_range(o, 101, 140));
}

static uint16_t demo_eport(struct gen_out *o) { return (uint16_t)gen_rand_range(o, 49152, 65000); }

static void demo_http_date(struct gen_out *o, char *out, size_t cap)
{
    time_t t = (time_t)(gen_now(o) / SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* A client lookup through the site resolver, which asks 8.8.8.8 when FORWARD. */
static void demo_dns(struct gen_out *o, uint32_t client, const char *name, uint16_t qtype,
                     uint8_t rcode, const uint32_t *addrs, int naddr, const char *txt, int forward)
{
    uint16_t id = (uint16_t)gen_rand(o), cport = demo_eport(o);
    size_t n = gen_dns_query(demo_buf, sizeof(demo_buf), id, name, qtype);
    demo_err |= n == 0;
    demo_err |= gen_udp(o, client, H_DNS, cport, 53, demo_buf, n);
    gen_advance(o, 150);
    if (forward) {
        uint16_t fid = (uint16_t)gen_rand(o), fport = demo_eport(o);
        n = gen_dns_query(demo_buf, sizeof(demo_buf), fid, name, qtype);
        demo_err |= gen_udp(o, H_DNS, X_DNS, fport, 53, demo_buf, n);
        gen_advance(o, gen_rand_range(o, 9, 40) * MS);
        n = gen_dns_answer(demo_buf, sizeof(demo_buf), fid, name, qtype, rcode, addrs, naddr, txt,
                           300);
        demo_err |= n == 0;
        demo_err |= gen_udp(o, X_DNS, H_DNS, 53, fport, demo_buf, n);
        gen_advance(o, 90);
    }
    n = gen_dns_answer(demo_buf, sizeof(demo_buf), id, name, qtype, rcode, addrs, naddr, txt, 300);
    demo_err |= n == 0;
    demo_err |= gen_udp(o, H_DNS, client, 53, cport, demo_buf, n);
    gen_advance(o, 400);
}

/* Printable page text of about LEN bytes, so bodies look like real HTML. */
static size_t demo_html(struct gen_out *o, char *out, size_t cap, const char *title, size_t len)
{
    static const char *const words[] = { "thong", "bao", "lich", "tiep", "cong", "dan", "ke",
                                         "hoach", "so", "ban", "nganh", "tinh", "uy", "ban",
                                         "nhan", "dan", "van", "ban", "quy", "dinh", "hanh",
                                         "chinh", "dich", "vu", "truc", "tuyen" };
    size_t n = (size_t)snprintf(out, cap,
                                "<!DOCTYPE html>\n<html lang=\"vi\">\n<head><meta charset=\"utf-8\">"
                                "<title>%s</title></head>\n<body>\n<h1>%s</h1>\n<p>",
                                title, title);
    while (n + 32 < cap && n < len) {
        const char *w = words[gen_rand(o) % (sizeof(words) / sizeof(words[0]))];
        n += (size_t)snprintf(out + n, cap - n, "%s%s", w, gen_rand(o) % 13 ? " " : ".</p>\n<p>");
    }
    n += (size_t)snprintf(out + n, cap - n, "</p>\n</body>\n</html>\n");
    return n;
}

/* One HTTP/1.1 exchange on an open connection. BODY may be binary. */
static void demo_http_exchange(struct gen_out *o, struct gen_tcp *c, const char *host,
                               const char *target, const char *ua, int status, const char *ctype,
                               const char *extra_hdr, const void *body, size_t blen)
{
    char date[64], req[2048];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
                     "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                     "Accept-Language: vi-VN,vi;q=0.9,en-US;q=0.8\r\n"
                     "Accept-Encoding: identity\r\nConnection: keep-alive\r\n\r\n",
                     target, host, ua);
    demo_err |= gen_tcp_send(o, c, 0, req, (size_t)n);
    gen_advance(o, c->rtt_us + gen_rand_range(o, 2, 30) * MS);
    demo_http_date(o, date, sizeof(date));
    n = snprintf((char *)demo_buf, sizeof(demo_buf),
                 "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: nginx/1.22.1\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\n%sConnection: keep-alive\r\n\r\n",
                 status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Internal Server Error",
                 date, ctype, blen, extra_hdr ? extra_hdr : "");
    if ((size_t)n + blen > sizeof(demo_buf)) {
        demo_err = 1;
        return;
    }
    memcpy(demo_buf + n, body, blen);
    demo_err |= gen_tcp_send(o, c, 1, demo_buf, (size_t)n + blen);
}

static void demo_browse_http(struct gen_out *o, const struct demo_http *s, int forward)
{
    uint32_t cli = demo_desktop(o);
    struct gen_tcp c;
    size_t blen;
    demo_dns(o, cli, s->host, GEN_DNS_A, GEN_DNS_NOERROR, &s->ip, 1, NULL, forward);
    if (strcmp(s->ctype, "text/plain") == 0 && strstr(s->host, "msft")) {
        blen = (size_t)snprintf(demo_txt, sizeof(demo_txt), "Microsoft Connect Test");
    } else if (strncmp(s->ctype, "text/html", 9) == 0) {
        blen = demo_html(o, demo_txt, sizeof(demo_txt), s->host, gen_rand_range(o, 900, 9000));
    } else {
        blen = gen_rand_range(o, 2000, 7000);
        gen_rand_bytes(o, (uint8_t *)demo_txt, blen);
    }
    gen_tcp_init(o, &c, cli, demo_eport(o), s->ip, 80, gen_rand_range(o, 8, 60) * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    demo_http_exchange(o, &c, s->host, s->path, s->ua ? s->ua : demo_ua_chrome, 200, s->ctype, NULL,
                       demo_txt, blen);
    demo_err |= gen_tcp_close(o, &c, 0);
}

static void demo_browse_tls(struct gen_out *o, const struct demo_site *s, int forward)
{
    uint32_t cli = demo_desktop(o);
    struct gen_tcp c;
    size_t n;
    demo_dns(o, cli, s->host, GEN_DNS_A, GEN_DNS_NOERROR, &s->ip, 1, NULL, forward);
    gen_tcp_init(o, &c, cli, demo_eport(o), s->ip, 443, gen_rand_range(o, 8, 80) * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    n = gen_tls_client_hello(o, demo_buf, sizeof(demo_buf), s->host);
    demo_err |= n == 0 || gen_tcp_send(o, &c, 0, demo_buf, n);
    gen_advance(o, c.rtt_us);
    n = gen_tls_server_flight(o, demo_buf, sizeof(demo_buf), gen_rand_range(o, 2400, 4200));
    demo_err |= n == 0 || gen_tcp_send(o, &c, 1, demo_buf, n);
    /* client CCS + Finished, then the request */
    static const uint8_t ccs[6] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
    memcpy(demo_buf, ccs, sizeof(ccs));
    n = sizeof(ccs) + gen_tls_appdata(o, demo_buf + sizeof(ccs), sizeof(demo_buf) - sizeof(ccs), 53);
    n += gen_tls_appdata(o, demo_buf + n, sizeof(demo_buf) - n, gen_rand_range(o, 300, 700));
    demo_err |= gen_tcp_send(o, &c, 0, demo_buf, n);
    gen_advance(o, c.rtt_us + gen_rand_range(o, 5, 60) * MS);
    for (int rec = gen_rand_range(o, 1, 4); rec > 0; rec--) {
        n = gen_tls_appdata(o, demo_buf, sizeof(demo_buf), gen_rand_range(o, 1200, 9000));
        demo_err |= gen_tcp_send(o, &c, 1, demo_buf, n);
    }
    gen_advance(o, gen_rand_range(o, 100, 900) * MS);
    demo_err |= gen_tcp_close(o, &c, 0);
}

static void demo_ping(struct gen_out *o, uint32_t src, uint32_t dst, int count)
{
    uint8_t pl[56];
    uint16_t id = (uint16_t)gen_rand(o);
    for (int i = 1; i <= count; i++) {
        uint64_t t = gen_now(o);
        for (int k = 0; k < 8; k++) /* Linux ping: timeval, then 0x10.. */
            pl[k] = (uint8_t)(t >> (8 * k));
        for (int k = 8; k < 56; k++)
            pl[k] = (uint8_t)(k + 8);
        demo_err |= gen_icmp_echo(o, src, dst, 8, id, (uint16_t)i, pl, sizeof(pl));
        gen_advance(o, gen_rand_range(o, 3, 40) * MS);
        demo_err |= gen_icmp_echo(o, dst, src, 0, id, (uint16_t)i, pl, sizeof(pl));
        gen_advance(o, SEC);
    }
}

static void demo_ntp(struct gen_out *o, uint32_t cli, uint16_t cport, uint32_t srv)
{
    size_t n = gen_ntp(o, demo_buf, sizeof(demo_buf), 0, gen_now(o));
    demo_err |= gen_udp(o, cli, srv, cport, 123, demo_buf, n);
    gen_advance(o, gen_rand_range(o, 4, 30) * MS);
    n = gen_ntp(o, demo_buf, sizeof(demo_buf), 1, gen_now(o));
    demo_err |= gen_udp(o, srv, cli, 123, cport, demo_buf, n);
    gen_advance(o, 300 * MS);
}

/* Citizens reading the provincial portal hosted on H_WEB. */
static void demo_portal_visit(struct gen_out *o)
{
    static const char *const pages[] = { "/", "/tin-tuc/thong-bao-lich-tiep-cong-dan.html",
                                         "/van-ban/quyet-dinh-so-1234-qd-ubnd.html",
                                         "/dich-vu-cong/huong-dan.html" };
    uint32_t cli = GEN_IP(gen_rand_range(o, 14, 118), gen_rand_range(o, 160, 250),
                          gen_rand_range(o, 1, 254), gen_rand_range(o, 1, 254));
    struct gen_tcp c;
    const char *page = pages[gen_rand(o) % 4];
    size_t blen = demo_html(o, demo_txt, sizeof(demo_txt), page, gen_rand_range(o, 3000, 12000));
    gen_tcp_init(o, &c, cli, demo_eport(o), H_WEB, 80, gen_rand_range(o, 15, 90) * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    demo_http_exchange(o, &c, "congthongtin.tinhdemo.gov.vn", page,
                       gen_rand(o) & 1 ? demo_ua_chrome : demo_ua_firefox, 200,
                       "text/html; charset=utf-8", NULL, demo_txt, blen);
    demo_err |= gen_tcp_close(o, &c, 0);
}

/* A slice of ordinary office traffic: browsing, lookups, time, monitoring. */
static void demo_background(struct gen_out *o, int rounds)
{
    static int seen[DEMO_NTLS + DEMO_NHTTP];
    for (int r = 0; r < rounds; r++) {
        size_t i = gen_rand(o) % DEMO_NTLS;
        demo_browse_tls(o, &demo_tls_sites[i], !seen[i]++);
        gen_advance(o, gen_rand_range(o, 200, 2500) * MS);
        if (gen_rand(o) % 3 == 0) {
            size_t j = gen_rand(o) % DEMO_NHTTP;
            demo_browse_http(o, &demo_http_sites[j], !seen[DEMO_NTLS + j]++);
            gen_advance(o, gen_rand_range(o, 200, 2000) * MS);
        }
        if (gen_rand(o) % 3 == 0) {
            demo_portal_visit(o);
            gen_advance(o, gen_rand_range(o, 100, 1500) * MS);
        }
        if (gen_rand(o) % 4 == 0) {
            uint32_t none = 0;
            demo_dns(o, demo_desktop(o), "wpad.tinhdemo.local", GEN_DNS_A, GEN_DNS_NXDOMAIN, &none,
                     0, NULL, 0);
        }
    }
}

static void demo_time_and_monitoring(struct gen_out *o)
{
    for (int i = 0; i < 4; i++)
        demo_ntp(o, H_NTP, 123, GEN_IP(162, 159, 200, 123));
    demo_ntp(o, demo_desktop(o), demo_eport(o), GEN_IP(20, 101, 57, 9)); /* time.windows.com */
    demo_ping(o, H_MON, X_DNS, 4);
    demo_ping(o, H_MON, GEN_IP(1, 1, 1, 1), 4);
}

/* nmap -sS style: one source port, ~200 ports, open ones answer SYN-ACK and
 * get a RST from the scanner, closed ones answer RST-ACK. */
static int demo_port_scan(struct gen_out *o)
{
    static uint16_t ports[1024];
    static const uint16_t open_ports[] = { 22, 80, 443, 3389 };
    int n = 0, nsyn = 0;
    for (int i = 0; i < 1024; i++)
        ports[i] = (uint16_t)(i + 1);
    for (int i = 1023; i > 0; i--) {
        int j = (int)(gen_rand(o) % (uint32_t)(i + 1));
        uint16_t t = ports[i];
        ports[i] = ports[j];
        ports[j] = t;
    }
    /* keep the open ports among the ~200 probed */
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 1024; i++)
            if (ports[i] == open_ports[k]) {
                ports[i] = ports[40 * k + 7];
                ports[40 * k + 7] = open_ports[k];
            }
    uint16_t sport = demo_eport(o);
    for (n = 0; n < 200; n++) {
        struct gen_tcp c;
        int open = 0;
        gen_tcp_init(o, &c, X_SCAN, sport, H_APP, ports[n], 2 * MS);
        for (int k = 0; k < 4; k++)
            open |= ports[n] == open_ports[k];
        demo_err |= gen_tcp_raw(o, &c, 0, GEN_TCP_SYN, c.cnxt, 0, NULL, 0);
        nsyn++;
        gen_advance(o, c.rtt_us);
        if (open) {
            demo_err |= gen_tcp_raw(o, &c, 1, GEN_TCP_SYN | GEN_TCP_ACK, c.snxt, c.cnxt + 1, NULL, 0);
            gen_advance(o, c.rtt_us);
            demo_err |= gen_tcp_raw(o, &c, 0, GEN_TCP_RST, c.cnxt + 1, 0, NULL, 0);
        } else {
            demo_err |= gen_tcp_raw(o, &c, 1, GEN_TCP_RST | GEN_TCP_ACK, 0, c.cnxt + 1, NULL, 0);
        }
        gen_advance(o, gen_rand_range(o, 3, 12) * MS);
    }
    return nsyn;
}

static void demo_ssh_session(struct gen_out *o, uint32_t cli, uint32_t srv, const char *cbanner,
                             int attempts)
{
    static const char sbanner[] = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n";
    struct gen_tcp c;
    size_t n;
    gen_tcp_init(o, &c, cli, demo_eport(o), srv, 22, gen_rand_range(o, 30, 70) * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    demo_err |= gen_tcp_send(o, &c, 1, sbanner, strlen(sbanner));
    demo_err |= gen_tcp_send(o, &c, 0, cbanner, strlen(cbanner));
    n = gen_ssh_kexinit(o, demo_buf, sizeof(demo_buf), 0);
    demo_err |= n == 0 || gen_tcp_send(o, &c, 0, demo_buf, n);
    n = gen_ssh_kexinit(o, demo_buf, sizeof(demo_buf), 1);
    demo_err |= n == 0 || gen_tcp_send(o, &c, 1, demo_buf, n);
    n = gen_ssh_kex_ecdh(o, demo_buf, sizeof(demo_buf), 0);
    demo_err |= n == 0 || gen_tcp_send(o, &c, 0, demo_buf, n);
    gen_advance(o, 3 * MS);
    n = gen_ssh_kex_ecdh(o, demo_buf, sizeof(demo_buf), 1);
    demo_err |= n == 0 || gen_tcp_send(o, &c, 1, demo_buf, n);
    n = gen_ssh_newkeys(o, demo_buf, sizeof(demo_buf));
    demo_err |= n == 0 || gen_tcp_send(o, &c, 0, demo_buf, n);
    n = gen_ssh_opaque(o, demo_buf, sizeof(demo_buf), 32); /* service request */
    demo_err |= gen_tcp_send(o, &c, 0, demo_buf, n);
    n = gen_ssh_opaque(o, demo_buf, sizeof(demo_buf), 32);
    demo_err |= gen_tcp_send(o, &c, 1, demo_buf, n);
    for (int a = 0; a < attempts; a++) {
        n = gen_ssh_opaque(o, demo_buf, sizeof(demo_buf), 80); /* userauth password */
        demo_err |= gen_tcp_send(o, &c, 0, demo_buf, n);
        gen_advance(o, gen_rand_range(o, 300, 900) * MS); /* sshd's failed-auth delay */
        n = gen_ssh_opaque(o, demo_buf, sizeof(demo_buf), 48);
        demo_err |= gen_tcp_send(o, &c, 1, demo_buf, n);
    }
    demo_err |= gen_tcp_close(o, &c, 0);
}

static void demo_web_attacks(struct gen_out *o)
{
    static const char *const sqli[] = {
        "/tin-tuc/chi-tiet.php?id=15%27%20OR%20%271%27=%271",
        "/tin-tuc/chi-tiet.php?id=15%27%20UNION%20SELECT%201,username,password,4%20FROM%20users--%20-",
        "/tin-tuc/chi-tiet.php?id=15;DROP%20TABLE%20users--",
    };
    const char *ua_sqlmap = "sqlmap/1.7.2#stable (https://sqlmap.org)";
    struct gen_tcp c;
    size_t blen;
    /* SQL injection, three requests on one keep-alive connection */
    gen_tcp_init(o, &c, X_WEB, demo_eport(o), H_WEB, 80, 45 * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    for (int i = 0; i < 3; i++) {
        blen = (size_t)snprintf(demo_txt, sizeof(demo_txt),
                                i == 1 ? "<html><body><table><tr><td>admin</td><td>"
                                         "21232f297a57a5a743894a0e4a801fc3</td></tr></table>"
                                         "</body></html>\n"
                                       : "<html><body><h1>Database error</h1><p>You have an "
                                         "error in your SQL syntax</p></body></html>\n");
        demo_http_exchange(o, &c, "congthongtin.tinhdemo.gov.vn", sqli[i], ua_sqlmap,
                           i == 1 ? 200 : 500, "text/html; charset=utf-8", NULL, demo_txt, blen);
        gen_advance(o, gen_rand_range(o, 200, 800) * MS);
    }
    demo_err |= gen_tcp_close(o, &c, 0);
    gen_advance(o, 4 * SEC);
    /* reflected XSS in the URI and in the User-Agent */
    gen_tcp_init(o, &c, X_WEB, demo_eport(o), H_WEB, 80, 45 * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    blen = demo_html(o, demo_txt, sizeof(demo_txt), "Ket qua tim kiem", 1200);
    demo_http_exchange(o, &c, "congthongtin.tinhdemo.gov.vn",
                       "/tim-kiem?q=<script>alert(document.cookie)</script>",
                       "<script>alert('xss')</script>", 200, "text/html; charset=utf-8", NULL,
                       demo_txt, blen);
    demo_err |= gen_tcp_close(o, &c, 0);
}

/* After the injection the portal server connects out to the attacker. */
static void demo_reverse_shell(struct gen_out *o)
{
    static const char *const cmds[][2] = {
        { "id\n", "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n" },
        { "uname -a\n", "Linux web01 5.15.0-91-generic #101-Ubuntu SMP x86_64 GNU/Linux\n" },
        { "cat /etc/passwd | head -3\n",
          "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n" },
    };
    struct gen_tcp c;
    gen_tcp_init(o, &c, H_WEB, demo_eport(o), X_WEB, 4444, 45 * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        gen_advance(o, gen_rand_range(o, 1500, 4000) * MS);
        demo_err |= gen_tcp_send(o, &c, 1, cmds[i][0], strlen(cmds[i][0]));
        gen_advance(o, 5 * MS);
        demo_err |= gen_tcp_send(o, &c, 0, cmds[i][1], strlen(cmds[i][1]));
    }
    demo_err |= gen_tcp_close(o, &c, 1);
}

static void demo_eicar_download(struct gen_out *o)
{
    uint32_t cli = GEN_IP(10, 20, 10, 117);
    uint32_t ip = X_FILES;
    struct gen_tcp c;
    demo_dns(o, cli, "files.example.net", GEN_DNS_A, GEN_DNS_NOERROR, &ip, 1, NULL, 1);
    gen_tcp_init(o, &c, cli, demo_eport(o), X_FILES, 80, 60 * MS);
    demo_err |= gen_tcp_handshake(o, &c);
    demo_http_exchange(o, &c, "files.example.net", "/download/invoice-2026-11.com", demo_ua_chrome,
                       200, "application/octet-stream",
                       "Content-Disposition: attachment; filename=\"invoice-2026-11.com\"\r\n",
                       demo_eicar, strlen(demo_eicar));
    demo_err |= gen_tcp_close(o, &c, 0);
}

/* A DNS tunnel (long base32-looking labels, TXT answers) and DGA misses. */
static void demo_dns_tunnel(struct gen_out *o)
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint32_t cli = GEN_IP(10, 20, 10, 131), none = 0;
    char name[256], txt[128];
    for (int i = 0; i < 6; i++) {
        size_t k = 0;
        for (int l = 0; l < 2; l++) {
            for (int j = 0; j < 52; j++)
                name[k++] = b32[gen_rand(o) % 32];
            name[k++] = '.';
        }
        snprintf(name + k, sizeof(name) - k, "t.cdn-sync-update.xyz");
        for (int j = 0; j < 64; j++)
            txt[j] = b32[gen_rand(o) % 32];
        txt[64] = 0;
        demo_dns(o, cli, name, GEN_DNS_TXT, GEN_DNS_NOERROR, NULL, 0, txt, 1);
        gen_advance(o, gen_rand_range(o, 300, 1200) * MS);
    }
    for (int i = 0; i < 4; i++) {
        int len = (int)gen_rand_range(o, 14, 22);
        for (int j = 0; j < len; j++)
            name[j] = alnum[gen_rand(o) % 36];
        snprintf(name + len, sizeof(name) - (size_t)len, ".com");
        demo_dns(o, cli, name, GEN_DNS_A, GEN_DNS_NXDOMAIN, &none, 0, NULL, 1);
        gen_advance(o, gen_rand_range(o, 100, 500) * MS);
    }
}

int main(int argc, char **argv)
{
    struct gen_out *o;
    int rc = 1, nsyn;
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
        return 2;
    }
    o = gen_out_new(argv[1], DEMO_START_US, DEMO_SEED);
    if (o == NULL)
        return 1;
    demo_time_and_monitoring(o);
    demo_background(o, 12);
    nsyn = demo_port_scan(o);
    demo_background(o, 6);
    for (int i = 0; i < 30; i++) { /* hydra: many short sessions, 3 passwords each */
        demo_ssh_session(o, X_BRUTE, H_SSH, "SSH-2.0-libssh_0.9.6\r\n", 3);
        gen_advance(o, gen_rand_range(o, 50, 400) * MS);
    }
    demo_ssh_session(o, GEN_IP(10, 20, 10, 101), H_SSH, "SSH-2.0-PuTTY_Release_0.81\r\n", 1);
    demo_background(o, 6);
    demo_web_attacks(o);
    gen_advance(o, 20 * SEC);
    demo_reverse_shell(o);
    demo_background(o, 6);
    demo_eicar_download(o);
    demo_background(o, 4);
    demo_dns_tunnel(o);
    demo_background(o, 6);
    demo_time_and_monitoring(o);
    if (demo_err) {
        fprintf(stderr, "gen_demo: a packet did not fit its buffer\n");
        goto out;
    }
    fprintf(stderr, "gen_demo: %s: %llu packets, %llu bytes, %d scan SYNs, %.1f s\n", argv[1],
            (unsigned long long)gen_packets(o), (unsigned long long)gen_bytes(o), nsyn,
            (double)(gen_now(o) - DEMO_START_US) / 1e6);
    rc = 0;
out:
    if (gen_out_free(o) != 0)
        rc = 1;
    return rc;
}
