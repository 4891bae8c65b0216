/* rule_kw_content: content and its modifiers (nocase offset depth distance
 * within fast_pattern startswith endswith rawbytes), isdataat, bsize,
 * urilen, and the buffer keywords: sticky buffers ("http.uri;" sets where
 * the following matches look) and the old modifier forms ("http_uri;" after
 * a content moves that content). Contradictions that make a rule unable to
 * match (depth shorter than the pattern, absolute and relative positions on
 * one content) are rejected, as Suricata does since e087d93883.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* "abc|0d 0a|def" (quotes optional) -> bytes. Returns length or -1. */
static int content_decode(const char *s, uint8_t *out, size_t cap, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    } else if (n > 0 && (s[0] == '"' || s[n - 1] == '"')) {
        snprintf(err, errlen, "unbalanced quotes");
        return -1;
    }
    size_t o = 0;
    bool hex = false;
    int nib = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o >= cap) {
            snprintf(err, errlen, "pattern longer than %zu bytes", cap);
            return -1;
        }
        if (c == '|') {
            if (hex && nib >= 0) {
                snprintf(err, errlen, "odd number of hex digits");
                return -1;
            }
            hex = !hex;
            continue;
        }
        if (hex) {
            if (isspace(c))
                continue;
            int v = hexval(c);
            if (v < 0) {
                snprintf(err, errlen, "bad hex digit '%c'", c);
                return -1;
            }
            if (nib < 0) {
                nib = v;
            } else {
                out[o++] = (uint8_t)(nib << 4 | v);
                nib = -1;
            }
            continue;
        }
        if (c == '\\') {
            if (i + 1 < n && strchr("\";\\:|", s[i + 1]) != NULL) {
                out[o++] = (uint8_t)s[++i];
                continue;
            }
            snprintf(err, errlen, "bad escape \"\\%c\"", i + 1 < n ? s[i + 1] : ' ');
            return -1;
        }
        if (c == '"' || c == ';') {
            snprintf(err, errlen, "unescaped '%c' in pattern", c);
            return -1;
        }
        out[o++] = c;
    }
    if (hex) {
        snprintf(err, errlen, "unterminated |hex| section");
        return -1;
    }
    if (o == 0) {
        snprintf(err, errlen, "empty pattern");
        return -1;
    }
    return (int)o;
}

static int kw_content(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                      size_t errlen)
{
    uint8_t tmp[4096];
    bool neg = false;
    while (*arg == ' ')
        arg++;
    if (*arg == '!') {
        neg = true;
        arg++;
        while (*arg == ' ')
            arg++;
    }
    int n = content_decode(arg, tmp, sizeof(tmp), err, errlen);
    if (n < 0)
        return DET_ERR_PARSE;
    enum det_buf b = kw->data ? DET_BUF_HTTP_URI : rule_pctx_sticky(pc);
    struct det_sm *sm = rule_pctx_add_sm(pc, b, DET_SM_CONTENT);
    if (sm == NULL) {
        snprintf(err, errlen, "too many matches in one rule");
        return DET_ERR_LIMIT;
    }
    sm->u.c.pat = det_arena_alloc(rule_pctx_arena(pc), (size_t)n);
    if (sm->u.c.pat == NULL)
        return DET_ERR_NOMEM;
    memcpy(sm->u.c.pat, tmp, (size_t)n);
    sm->u.c.len = (uint32_t)n;
    sm->u.c.offset_var = sm->u.c.depth_var = sm->u.c.distance_var = sm->u.c.within_var = -1;
    if (neg)
        sm->flags |= DET_CF_NEGATED;
    return 0;
}

static struct det_sm *last_content(struct rule_pctx *pc, const char *name, char *err, size_t errlen)
{
    struct det_sm *sm = rule_pctx_last_sm(pc, DET_SM_CONTENT, NULL);
    if (sm == NULL)
        snprintf(err, errlen, "%s needs a preceding content", name);
    return sm;
}

/* Value: a number, or the name of a byte_extract variable. */
static int mod_value(struct rule_pctx *pc, const char *arg, int32_t *v, int8_t *var, char *err, size_t errlen)
{
    *var = -1;
    if (rule_kw_parse_i32(arg, v) == 0)
        return 0;
    int slot = rule_pctx_var(pc, arg, false);
    if (slot < 0) {
        snprintf(err, errlen, "\"%.32s\" is neither a number nor a byte_extract variable", arg);
        return DET_ERR_PARSE;
    }
    *var = (int8_t)slot;
    *v = 0;
    return 0;
}

enum { MOD_NOCASE, MOD_OFFSET, MOD_DEPTH, MOD_DISTANCE, MOD_WITHIN, MOD_FAST, MOD_STARTS,
       MOD_ENDS, MOD_RAWBYTES };

static int kw_modifier(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                       size_t errlen)
{
    struct det_sm *sm = last_content(pc, kw->name, err, errlen);
    if (sm == NULL)
        return DET_ERR_INVAL;
    struct det_content *c = &sm->u.c;
    int rc = 0;
    switch (kw->data) {
    case MOD_NOCASE:
        sm->flags |= DET_CF_NOCASE;
        break;
    case MOD_RAWBYTES:
        break;
    case MOD_OFFSET:
        rc = mod_value(pc, arg, &c->offset, &c->offset_var, err, errlen);
        if (rc == 0 && c->offset < 0) {
            snprintf(err, errlen, "negative offset");
            rc = DET_ERR_INVAL;
        }
        sm->flags |= DET_CF_OFFSET;
        break;
    case MOD_DEPTH:
        rc = mod_value(pc, arg, &c->depth, &c->depth_var, err, errlen);
        if (rc == 0 && c->depth_var < 0 && (c->depth <= 0 || (uint32_t)c->depth < c->len)) {
            snprintf(err, errlen, "depth %d is smaller than the pattern (%u bytes)", c->depth, c->len);
            rc = DET_ERR_INVAL;
        }
        sm->flags |= DET_CF_DEPTH;
        break;
    case MOD_DISTANCE:
        rc = mod_value(pc, arg, &c->distance, &c->distance_var, err, errlen);
        sm->flags |= DET_CF_DISTANCE;
        break;
    case MOD_WITHIN:
        rc = mod_value(pc, arg, &c->within, &c->within_var, err, errlen);
        if (rc == 0 && c->within_var < 0 && (c->within <= 0 || (uint32_t)c->within < c->len)) {
            snprintf(err, errlen, "within %d is smaller than the pattern (%u bytes)", c->within, c->len);
            rc = DET_ERR_INVAL;
        }
        sm->flags |= DET_CF_WITHIN;
        break;
    case MOD_FAST:
        if (sm->flags & DET_CF_NEGATED) {
            /* Suricata allows it for fast_pattern:only semantics; we only prefilter positives */
            break;
        }
        sm->flags |= DET_CF_FAST;
        if (arg != NULL && strcmp(arg, "only") == 0) {
            sm->flags |= DET_CF_FAST_ONLY;
        } else if (arg != NULL) {
            unsigned off, len;
            if (sscanf(arg, "%u , %u", &off, &len) != 2 || len == 0 || off + len > c->len) {
                snprintf(err, errlen, "expected \"only\" or offset,length within the pattern");
                return DET_ERR_PARSE;
            }
            c->fp_off = (uint16_t)off;
            c->fp_len = (uint16_t)len;
        }
        break;
    case MOD_STARTS:
        sm->flags |= DET_CF_STARTSWITH;
        break;
    case MOD_ENDS:
        sm->flags |= DET_CF_ENDSWITH;
        break;
    }
    if (rc == 0 && (sm->flags & (DET_CF_OFFSET | DET_CF_DEPTH | DET_CF_STARTSWITH)) &&
        (sm->flags & DET_CF_RELATIVE)) {
        snprintf(err, errlen, "absolute (offset/depth/startswith) and relative (distance/within) on one content");
        rc = DET_ERR_INVAL;
    }
    if (rc == 0 && (sm->flags & DET_CF_STARTSWITH) && (sm->flags & (DET_CF_OFFSET | DET_CF_DEPTH))) {
        snprintf(err, errlen, "startswith with offset or depth");
        rc = DET_ERR_INVAL;
    }
    if (rc == 0 && (sm->flags & DET_CF_OFFSET) && (sm->flags & DET_CF_DEPTH) && c->depth_var < 0 &&
        c->offset_var < 0 && (sm->flags & DET_CF_NEGATED) == 0 && (uint32_t)c->depth < c->len) {
        snprintf(err, errlen, "depth shorter than the pattern");
        rc = DET_ERR_INVAL;
    }
    return rc;
}

static int kw_isdataat(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                       size_t errlen)
{
    (void)kw;
    char buf[64];
    if (strlen(arg) >= sizeof(buf)) {
        snprintf(err, errlen, "value too long");
        return DET_ERR_PARSE;
    }
    strcpy(buf, arg);
    bool neg = false, rel = false;
    char *p = (char *)rule_kw_trim(buf);
    if (*p == '!') {
        neg = true;
        p++;
    }
    char *save = NULL;
    char *num = strtok_r(p, ",", &save);
    for (char *o = strtok_r(NULL, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
        const char *t = rule_kw_trim(o);
        if (strcmp(t, "relative") == 0)
            rel = true;
        else if (strcmp(t, "rawbytes") != 0) {
            snprintf(err, errlen, "unknown option \"%.20s\"", t);
            return DET_ERR_PARSE;
        }
    }
    if (num == NULL) {
        snprintf(err, errlen, "missing number");
        return DET_ERR_PARSE;
    }
    enum det_buf b = rel ? rule_pctx_relative_buf(pc) : rule_pctx_sticky(pc);
    struct det_sm *sm = rule_pctx_add_sm(pc, b, DET_SM_ISDATAAT);
    if (sm == NULL)
        return DET_ERR_LIMIT;
    if (mod_value(pc, rule_kw_trim(num), &sm->u.d.n, &sm->u.d.var, err, errlen) != 0)
        return DET_ERR_PARSE;
    sm->u.d.relative = rel;
    if (neg)
        sm->flags |= DET_CF_NEGATED;
    return 0;
}

static int kw_bsize(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                    size_t errlen)
{
    struct det_cmp cmp;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", arg);
    enum det_buf b = rule_pctx_sticky(pc);
    if (kw->data == 1) { /* urilen: N[,norm|raw] */
        char *comma = strchr(buf, ',');
        b = DET_BUF_HTTP_URI;
        if (comma != NULL) {
            *comma = '\0';
            if (strcmp(rule_kw_trim(comma + 1), "raw") == 0)
                b = DET_BUF_HTTP_URI_RAW;
        }
    } else if (!rule_pctx_has_sticky(pc)) {
        snprintf(err, errlen, "bsize needs a sticky buffer before it");
        return DET_ERR_INVAL;
    }
    if (rule_kw_parse_cmp(buf, &cmp) != 0 || cmp.op == 'l' || cmp.op == 'g' || cmp.op == '!') {
        snprintf(err, errlen, "expected N, <N, >N or N<>M");
        return DET_ERR_PARSE;
    }
    struct det_sm *sm = rule_pctx_add_sm(pc, b, DET_SM_BSIZE);
    if (sm == NULL)
        return DET_ERR_LIMIT;
    sm->u.z.op = cmp.op;
    sm->u.z.lo = cmp.lo;
    sm->u.z.hi = cmp.hi;
    return 0;
}

/* Buffer keywords: data = buffer id; RULE_KW_MOD_FORM marks the old modifiers. */
#define KW_MODFORM 0x100u
static int kw_buffer(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                     size_t errlen)
{
    enum det_buf b = (enum det_buf)kw->data;
    if (kw->flags & KW_MODFORM)
        return rule_pctx_move_last(pc, b, err, errlen);
    if (arg != NULL) {
        /* "file.data: to_client": the side a transactional rule inspects it on */
        char side[16];
        snprintf(side, sizeof(side), "%s", arg);
        const char *sv = rule_kw_trim(side);
        if (strcmp(sv, "to_client") != 0 && strcmp(sv, "to_server") != 0) {
            snprintf(err, errlen, "\"%.20s\": to_client or to_server expected", sv);
            return DET_ERR_INVAL;
        }
        rule_pctx_buf_side(pc, b, strcmp(sv, "to_client") == 0);
    }
    rule_pctx_set_sticky(pc, b);
    return 0;
}

/* dotprefix: the transform that puts a '.' before the buffer, so that
 * content:".example.com"; endswith; matches example.com and its subdomains. */
static int kw_dotprefix(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                        size_t errlen)
{
    (void)kw;
    (void)arg;
    enum det_buf b = rule_pctx_sticky(pc), to;
    switch (b) {
    case DET_BUF_DNS_QUERY: to = DET_BUF_DNS_QUERY_DOT; break;
    case DET_BUF_TLS_SNI: to = DET_BUF_TLS_SNI_DOT; break;
    case DET_BUF_HTTP_HOST: to = DET_BUF_HTTP_HOST_DOT; break;
    default:
        snprintf(err, errlen, "only after dns.query, tls.sni or http.host");
        return DET_ERR_INVAL;
    }
    enum det_buf last;
    if (rule_pctx_last_sm(pc, -1, &last) != NULL && last == b) {
        snprintf(err, errlen, "must come before the matches on %s", det_buf_name(b));
        return DET_ERR_INVAL;
    }
    rule_pctx_set_sticky(pc, to);
    return 0;
}

#define STICKY(n, b) { n, kw_buffer, 0, b }
#define MODF(n, b) { n, kw_buffer, RULE_KW_NOARG | KW_MODFORM, b }

const struct rule_kw rule_kw_content_table[] = {
    { "content", kw_content, RULE_KW_ARG, 0 },
    { "uricontent", kw_content, RULE_KW_ARG, 1 },
    { "nocase", kw_modifier, RULE_KW_NOARG, MOD_NOCASE },
    { "rawbytes", kw_modifier, RULE_KW_NOARG, MOD_RAWBYTES },
    { "offset", kw_modifier, RULE_KW_ARG, MOD_OFFSET },
    { "depth", kw_modifier, RULE_KW_ARG, MOD_DEPTH },
    { "distance", kw_modifier, RULE_KW_ARG, MOD_DISTANCE },
    { "within", kw_modifier, RULE_KW_ARG, MOD_WITHIN },
    { "fast_pattern", kw_modifier, 0, MOD_FAST },
    { "startswith", kw_modifier, RULE_KW_NOARG, MOD_STARTS },
    { "endswith", kw_modifier, RULE_KW_NOARG, MOD_ENDS },
    { "isdataat", kw_isdataat, RULE_KW_ARG, 0 },
    { "bsize", kw_bsize, RULE_KW_ARG, 0 },
    { "urilen", kw_bsize, RULE_KW_ARG, 1 },
    { "dotprefix", kw_dotprefix, RULE_KW_NOARG, 0 },
    STICKY("pkt_data", DET_BUF_PAYLOAD),
    MODF("http_uri", DET_BUF_HTTP_URI), STICKY("http.uri", DET_BUF_HTTP_URI),
    MODF("http_raw_uri", DET_BUF_HTTP_URI_RAW), STICKY("http.uri.raw", DET_BUF_HTTP_URI_RAW),
    MODF("http_method", DET_BUF_HTTP_METHOD), STICKY("http.method", DET_BUF_HTTP_METHOD),
    MODF("http_host", DET_BUF_HTTP_HOST), STICKY("http.host", DET_BUF_HTTP_HOST),
    MODF("http_raw_host", DET_BUF_HTTP_HOST_RAW), STICKY("http.host.raw", DET_BUF_HTTP_HOST_RAW),
    MODF("http_user_agent", DET_BUF_HTTP_UA), STICKY("http.user_agent", DET_BUF_HTTP_UA),
    MODF("http_header", DET_BUF_HTTP_HEADER), STICKY("http.header", DET_BUF_HTTP_HEADER),
    MODF("http_raw_header", DET_BUF_HTTP_HEADER_RAW), STICKY("http.header.raw", DET_BUF_HTTP_HEADER_RAW),
    STICKY("http.header_names", DET_BUF_HTTP_HEADER_NAMES), STICKY("http_header_names", DET_BUF_HTTP_HEADER_NAMES),
    MODF("http_cookie", DET_BUF_HTTP_COOKIE), STICKY("http.cookie", DET_BUF_HTTP_COOKIE),
    MODF("http_stat_code", DET_BUF_HTTP_STAT_CODE), STICKY("http.stat_code", DET_BUF_HTTP_STAT_CODE),
    MODF("http_stat_msg", DET_BUF_HTTP_STAT_MSG), STICKY("http.stat_msg", DET_BUF_HTTP_STAT_MSG),
    MODF("http_client_body", DET_BUF_HTTP_REQ_BODY), STICKY("http.request_body", DET_BUF_HTTP_REQ_BODY),
    MODF("http_server_body", DET_BUF_HTTP_RESP_BODY), STICKY("http.response_body", DET_BUF_HTTP_RESP_BODY),
    STICKY("file.data", DET_BUF_FILE_DATA), STICKY("file_data", DET_BUF_FILE_DATA),
    STICKY("http.content_type", DET_BUF_HTTP_CONTENT_TYPE), STICKY("http_content_type", DET_BUF_HTTP_CONTENT_TYPE),
    STICKY("http.content_len", DET_BUF_HTTP_CONTENT_LEN), STICKY("http_content_len", DET_BUF_HTTP_CONTENT_LEN),
    STICKY("http.referer", DET_BUF_HTTP_REFERER), STICKY("http_referer", DET_BUF_HTTP_REFERER),
    STICKY("http.start", DET_BUF_HTTP_START), STICKY("http_start", DET_BUF_HTTP_START),
    STICKY("http.location", DET_BUF_HTTP_LOCATION), STICKY("http.server", DET_BUF_HTTP_SERVER),
    STICKY("http.accept", DET_BUF_HTTP_ACCEPT), STICKY("http_accept", DET_BUF_HTTP_ACCEPT),
    STICKY("http.accept_enc", DET_BUF_HTTP_ACCEPT_ENC), STICKY("http_accept_enc", DET_BUF_HTTP_ACCEPT_ENC),
    STICKY("http.accept_lang", DET_BUF_HTTP_ACCEPT_LANG), STICKY("http_accept_lang", DET_BUF_HTTP_ACCEPT_LANG),
    STICKY("http.connection", DET_BUF_HTTP_CONNECTION), STICKY("http_connection", DET_BUF_HTTP_CONNECTION),
    STICKY("http.protocol", DET_BUF_HTTP_PROTOCOL), STICKY("http_protocol", DET_BUF_HTTP_PROTOCOL),
    STICKY("http.request_line", DET_BUF_HTTP_REQUEST_LINE), STICKY("http_request_line", DET_BUF_HTTP_REQUEST_LINE),
    STICKY("http.response_line", DET_BUF_HTTP_RESPONSE_LINE), STICKY("http_response_line", DET_BUF_HTTP_RESPONSE_LINE),
    STICKY("dns.query", DET_BUF_DNS_QUERY), STICKY("dns_query", DET_BUF_DNS_QUERY),
    STICKY("tls.sni", DET_BUF_TLS_SNI), STICKY("tls_sni", DET_BUF_TLS_SNI),
    STICKY("tls.cert_subject", DET_BUF_TLS_CERT_SUBJECT), STICKY("tls_cert_subject", DET_BUF_TLS_CERT_SUBJECT),
    STICKY("tls.cert_issuer", DET_BUF_TLS_CERT_ISSUER), STICKY("tls_cert_issuer", DET_BUF_TLS_CERT_ISSUER),
    STICKY("tls.cert_serial", DET_BUF_TLS_CERT_SERIAL), STICKY("tls_cert_serial", DET_BUF_TLS_CERT_SERIAL),
    STICKY("tls.certs", DET_BUF_TLS_CERTS),
    STICKY("ja3.hash", DET_BUF_JA3_HASH), STICKY("ja3_hash", DET_BUF_JA3_HASH),
    STICKY("ja3.string", DET_BUF_JA3_STRING), STICKY("ja3s.hash", DET_BUF_JA3S_HASH),
    STICKY("ssh.proto", DET_BUF_SSH_PROTO), STICKY("ssh_proto", DET_BUF_SSH_PROTO),
    STICKY("ssh.software", DET_BUF_SSH_SOFTWARE), STICKY("ssh_software", DET_BUF_SSH_SOFTWARE),
    { NULL, NULL, 0, 0 },
};
