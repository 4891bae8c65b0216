/* rule_kw: the keyword table (one per rule_kw_*.c file, searched in turn),
 * the buffer and application-protocol name tables, and the small value
 * parsers the keyword setups share.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/det_private.h"

const struct det_buf_info det_buf_table[DET_BUF_MAX] = {
    [DET_BUF_PAYLOAD] = { "pkt_data", NULL, NULL, DET_APP_UNKNOWN },
    [DET_BUF_HTTP_URI] = { "http.uri", "http_uri", "http_uri", DET_APP_HTTP },
    [DET_BUF_HTTP_URI_RAW] = { "http.uri.raw", "http_raw_uri", "http_raw_uri", DET_APP_HTTP },
    [DET_BUF_HTTP_METHOD] = { "http.method", "http_method", "http_method", DET_APP_HTTP },
    [DET_BUF_HTTP_HOST] = { "http.host", "http_host", "http_host", DET_APP_HTTP },
    [DET_BUF_HTTP_HOST_RAW] = { "http.host.raw", "http_raw_host", "http_raw_host", DET_APP_HTTP },
    [DET_BUF_HTTP_UA] = { "http.user_agent", "http_user_agent", "http_user_agent", DET_APP_HTTP },
    [DET_BUF_HTTP_HEADER] = { "http.header", "http_header", "http_header", DET_APP_HTTP },
    [DET_BUF_HTTP_HEADER_RAW] = { "http.header.raw", "http_raw_header", "http_raw_header", DET_APP_HTTP },
    [DET_BUF_HTTP_HEADER_NAMES] = { "http.header_names", "http_header_names", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_COOKIE] = { "http.cookie", "http_cookie", "http_cookie", DET_APP_HTTP },
    [DET_BUF_HTTP_STAT_CODE] = { "http.stat_code", "http_stat_code", "http_stat_code", DET_APP_HTTP },
    [DET_BUF_HTTP_STAT_MSG] = { "http.stat_msg", "http_stat_msg", "http_stat_msg", DET_APP_HTTP },
    [DET_BUF_HTTP_REQ_BODY] = { "http.request_body", "http_client_body", "http_client_body", DET_APP_HTTP },
    [DET_BUF_HTTP_RESP_BODY] = { "http.response_body", "http_server_body", "http_server_body", DET_APP_HTTP },
    [DET_BUF_FILE_DATA] = { "file.data", "file_data", NULL, DET_APP_UNKNOWN },
    [DET_BUF_HTTP_CONTENT_TYPE] = { "http.content_type", "http_content_type", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_CONTENT_LEN] = { "http.content_len", "http_content_len", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_REFERER] = { "http.referer", "http_referer", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_START] = { "http.start", "http_start", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_LOCATION] = { "http.location", "http_location", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_SERVER] = { "http.server", "http_server", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_ACCEPT] = { "http.accept", "http_accept", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_ACCEPT_ENC] = { "http.accept_enc", "http_accept_enc", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_ACCEPT_LANG] = { "http.accept_lang", "http_accept_lang", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_CONNECTION] = { "http.connection", "http_connection", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_PROTOCOL] = { "http.protocol", "http_protocol", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_REQUEST_LINE] = { "http.request_line", "http_request_line", NULL, DET_APP_HTTP },
    [DET_BUF_HTTP_RESPONSE_LINE] = { "http.response_line", "http_response_line", NULL, DET_APP_HTTP },
    [DET_BUF_DNS_QUERY] = { "dns.query", "dns_query", NULL, DET_APP_DNS },
    [DET_BUF_TLS_SNI] = { "tls.sni", "tls_sni", NULL, DET_APP_TLS },
    [DET_BUF_TLS_CERT_SUBJECT] = { "tls.cert_subject", "tls_cert_subject", NULL, DET_APP_TLS },
    [DET_BUF_TLS_CERT_ISSUER] = { "tls.cert_issuer", "tls_cert_issuer", NULL, DET_APP_TLS },
    [DET_BUF_TLS_CERT_SERIAL] = { "tls.cert_serial", "tls_cert_serial", NULL, DET_APP_TLS },
    [DET_BUF_TLS_CERTS] = { "tls.certs", "tls_certs", NULL, DET_APP_TLS },
    [DET_BUF_JA3_HASH] = { "ja3.hash", "ja3_hash", NULL, DET_APP_TLS },
    [DET_BUF_JA3_STRING] = { "ja3.string", "ja3_string", NULL, DET_APP_TLS },
    [DET_BUF_JA3S_HASH] = { "ja3s.hash", "ja3s_hash", NULL, DET_APP_TLS },
    [DET_BUF_SSH_PROTO] = { "ssh.proto", "ssh_proto", NULL, DET_APP_SSH },
    [DET_BUF_SSH_SOFTWARE] = { "ssh.software", "ssh_software", NULL, DET_APP_SSH },
    [DET_BUF_DNS_QUERY_DOT] = { "dns.query+dotprefix", NULL, NULL, DET_APP_DNS },
    [DET_BUF_TLS_SNI_DOT] = { "tls.sni+dotprefix", NULL, NULL, DET_APP_TLS },
    [DET_BUF_HTTP_HOST_DOT] = { "http.host+dotprefix", NULL, NULL, DET_APP_HTTP },
};

const char *det_buf_name(enum det_buf b)
{
    return (unsigned)b < DET_BUF_MAX ? det_buf_table[b].sticky : "?";
}

static const char *const app_names[DET_APP_MAX] = {
    [DET_APP_UNKNOWN] = "unknown", [DET_APP_HTTP] = "http", [DET_APP_DNS] = "dns",
    [DET_APP_TLS] = "tls", [DET_APP_SSH] = "ssh", [DET_APP_SMB] = "smb", [DET_APP_FTP] = "ftp",
    [DET_APP_FTP_DATA] = "ftp-data", [DET_APP_SMTP] = "smtp", [DET_APP_DCERPC] = "dcerpc",
    [DET_APP_IMAP] = "imap", [DET_APP_POP3] = "pop3", [DET_APP_SNMP] = "snmp", [DET_APP_SIP] = "sip",
    [DET_APP_NTP] = "ntp", [DET_APP_DHCP] = "dhcp", [DET_APP_KRB5] = "krb5", [DET_APP_NFS] = "nfs",
    [DET_APP_TFTP] = "tftp", [DET_APP_RDP] = "rdp", [DET_APP_MODBUS] = "modbus", [DET_APP_DNP3] = "dnp3",
    [DET_APP_MQTT] = "mqtt",
};

const char *det_app_name(enum det_app a)
{
    return (unsigned)a < DET_APP_MAX ? app_names[a] : "unknown";
}

enum det_app det_app_from_name(const char *name)
{
    static const struct { const char *n; enum det_app a; } extra[] = {
        { "http1", DET_APP_HTTP }, { "http2", DET_APP_HTTP }, { "ssl", DET_APP_TLS },
        { "smb2", DET_APP_SMB }, { "netbios", DET_APP_SMB }, { "kerberos", DET_APP_KRB5 },
        { "smtps", DET_APP_SMTP }, { "mail_smtp", DET_APP_SMTP }, { "mail_pop", DET_APP_POP3 },
        { "mail_imap", DET_APP_IMAP }, { "ftp_control", DET_APP_FTP }, { "ftp_data", DET_APP_FTP_DATA },
        { "dcerpc", DET_APP_DCERPC }, { "rpc", DET_APP_DCERPC }, { "dhcpv6", DET_APP_DHCP },
        { "quic", DET_APP_UNKNOWN },
    };
    if (name == NULL)
        return DET_APP_UNKNOWN;
    for (int a = 1; a < DET_APP_MAX; a++)
        if (strcasecmp(name, app_names[a]) == 0)
            return (enum det_app)a;
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (strcasecmp(name, extra[i].n) == 0)
            return extra[i].a;
    return DET_APP_UNKNOWN;
}

/* ---- lookup ---- */

static const struct rule_kw *const kw_tables[] = {
    rule_kw_meta_table, rule_kw_content_table, rule_kw_pcre_table,
    rule_kw_byte_table, rule_kw_flow_table, rule_kw_pkt_table,
};

const struct rule_kw *rule_kw_find(const char *name)
{
    for (size_t t = 0; t < sizeof(kw_tables) / sizeof(kw_tables[0]); t++)
        for (const struct rule_kw *k = kw_tables[t]; k->name != NULL; k++)
            if (strcmp(k->name, name) == 0)
                return k;
    return NULL;
}

/* ---- value helpers ---- */

const char *rule_kw_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int rule_kw_parse_u32(const char *s, uint32_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int rule_kw_parse_i32(const char *s, int32_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || end == s || *end != '\0' || v > INT32_MAX || v < INT32_MIN)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int rule_kw_parse_cmp(const char *s, struct det_cmp *out)
{
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n + 1);
    char *p = (char *)rule_kw_trim(buf);
    memset(out, 0, sizeof(*out));
    char *r = strstr(p, "<>");
    if (r == NULL)
        r = strchr(p + 1, '-');
    if (r != NULL && p[0] != '<' && p[0] != '>') {
        size_t skip = r[0] == '<' ? 2 : 1;
        *r = '\0';
        if (rule_kw_parse_u32(p, &out->lo) != 0 || rule_kw_parse_u32(r + skip, &out->hi) != 0 ||
            out->lo >= out->hi)
            return -1;
        out->op = 'r';
        return 0;
    }
    out->op = '=';
    if (p[0] == '<' && p[1] == '=') {
        out->op = 'l';
        p += 2;
    } else if (p[0] == '>' && p[1] == '=') {
        out->op = 'g';
        p += 2;
    } else if (p[0] == '<' || p[0] == '>' || p[0] == '!') {
        out->op = p[0];
        p++;
    } else if (p[0] == '=') {
        p++;
    }
    return rule_kw_parse_u32(p, &out->lo);
}

bool rule_kw_cmp(const struct det_cmp *c, uint32_t v)
{
    switch (c->op) {
    case '=': return v == c->lo;
    case '!': return v != c->lo;
    case '<': return v < c->lo;
    case '>': return v > c->lo;
    case 'l': return v <= c->lo;
    case 'g': return v >= c->lo;
    case 'r': return v > c->lo && v < c->hi;
    }
    return false;
}
