/* rule_vars: address and port variables ($HOME_NET, $HTTP_PORTS) and the
 * address/port expressions of a rule header, in Suricata's syntax: any,
 * single values, CIDR, ranges (a-b for addresses, a:b for ports), [lists],
 * nesting and '!' negation. An expression becomes an include list and an
 * exclude list: negated elements (an odd number of '!' above them) are
 * excluded, and a set with no include means "anything not excluded".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "detect/det_private.h"

#define VARS_MAX_DEPTH 16

struct rule_var {
    char *name;
    char *text;
    bool is_port;
};

struct rule_vars {
    struct rule_var *v;
    size_t n, cap;
};

/* Suricata's default suricata.yaml values. */
static const char *const vars_addr_defaults[][2] = {
    { "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
    { "EXTERNAL_NET", "!$HOME_NET" },
    { "HTTP_SERVERS", "$HOME_NET" },
    { "SMTP_SERVERS", "$HOME_NET" },
    { "SQL_SERVERS", "$HOME_NET" },
    { "DNS_SERVERS", "$HOME_NET" },
    { "TELNET_SERVERS", "$HOME_NET" },
    { "AIM_SERVERS", "$EXTERNAL_NET" },
    { "DC_SERVERS", "$HOME_NET" },
    { "DNP3_SERVER", "$HOME_NET" },
    { "DNP3_CLIENT", "$HOME_NET" },
    { "MODBUS_CLIENT", "$HOME_NET" },
    { "MODBUS_SERVER", "$HOME_NET" },
    { "ENIP_CLIENT", "$HOME_NET" },
    { "ENIP_SERVER", "$HOME_NET" },
};
static const char *const vars_port_defaults[][2] = {
    { "HTTP_PORTS", "80" },
    { "SHELLCODE_PORTS", "!80" },
    { "ORACLE_PORTS", "1521" },
    { "SSH_PORTS", "22" },
    { "DNP3_PORTS", "20000" },
    { "MODBUS_PORTS", "502" },
    { "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
    { "FTP_PORTS", "21" },
    { "GENEVE_PORTS", "6081" },
    { "VXLAN_PORTS", "4789" },
    { "TEREDO_PORTS", "3544" },
};

struct rule_vars *rule_vars_new(void)
{
    return calloc(1, sizeof(struct rule_vars));
}

void rule_vars_free(struct rule_vars *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->v[i].name);
        free(v->v[i].text);
    }
    free(v->v);
    free(v);
}

static const char *vars_get(const struct rule_vars *v, bool is_port, const char *name, size_t len)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].is_port == is_port && strlen(v->v[i].name) == len &&
            memcmp(v->v[i].name, name, len) == 0)
            return v->v[i].text;
    return NULL;
}

int rule_vars_set(struct rule_vars *v, bool is_port, const char *name, const char *text)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].is_port == is_port && strcmp(v->v[i].name, name) == 0) {
            char *t = strdup(text);
            if (t == NULL)
                return DET_ERR_NOMEM;
            free(v->v[i].text);
            v->v[i].text = t;
            return 0;
        }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        struct rule_var *nv = realloc(v->v, cap * sizeof(*nv));
        if (nv == NULL)
            return DET_ERR_NOMEM;
        v->v = nv;
        v->cap = cap;
    }
    struct rule_var *e = &v->v[v->n];
    e->name = strdup(name);
    e->text = strdup(text);
    e->is_port = is_port;
    if (e->name == NULL || e->text == NULL) {
        free(e->name);
        free(e->text);
        return DET_ERR_NOMEM;
    }
    v->n++;
    return 0;
}

struct vars_cb_arg {
    struct rule_vars *v;
    bool is_port;
    int rc;
};

static void vars_cfg_cb(const char *key, const char *value, void *arg)
{
    struct vars_cb_arg *a = arg;
    const char *name = strrchr(key, '.');
    name = name ? name + 1 : key;
    if (rule_vars_set(a->v, a->is_port, name, value) != 0)
        a->rc = DET_ERR_NOMEM;
}

int rule_vars_from_cfg(struct rule_vars *v, const struct cfg *c)
{
    for (size_t i = 0; i < sizeof(vars_addr_defaults) / sizeof(vars_addr_defaults[0]); i++)
        if (rule_vars_set(v, false, vars_addr_defaults[i][0], vars_addr_defaults[i][1]) != 0)
            return DET_ERR_NOMEM;
    for (size_t i = 0; i < sizeof(vars_port_defaults) / sizeof(vars_port_defaults[0]); i++)
        if (rule_vars_set(v, true, vars_port_defaults[i][0], vars_port_defaults[i][1]) != 0)
            return DET_ERR_NOMEM;
    if (c == NULL)
        return 0;
    struct vars_cb_arg a = { v, false, 0 };
    cfg_each(c, "vars.address-groups.*", vars_cfg_cb, &a);
    a.is_port = true;
    cfg_each(c, "vars.port-groups.*", vars_cfg_cb, &a);
    return a.rc;
}

/* ---- a growable pair of lists used while parsing ---- */
struct vars_acc {
    void *inc, *exc;
    uint32_t ninc, nexc, capinc, capexc;
    size_t elem;
    bool any;
};

static int vars_acc_push(struct vars_acc *a, bool exclude, const void *e)
{
    void **arr = exclude ? &a->exc : &a->inc;
    uint32_t *n = exclude ? &a->nexc : &a->ninc;
    uint32_t *cap = exclude ? &a->capexc : &a->capinc;
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        void *na = realloc(*arr, (size_t)nc * a->elem);
        if (na == NULL)
            return DET_ERR_NOMEM;
        *arr = na;
        *cap = nc;
    }
    memcpy((char *)*arr + (size_t)*n * a->elem, e, a->elem);
    (*n)++;
    return 0;
}

typedef int (*vars_elem_fn)(const char *s, size_t len, void *out, char *err, size_t errlen);

/* Walk an expression: lists, '!', $VAR and 'any'; leaves go to elem(). */
static int vars_walk(const struct rule_vars *v, bool is_port, const char *s, size_t len, bool neg,
                     int depth, struct vars_acc *acc, vars_elem_fn elem, char *err, size_t errlen)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (depth > VARS_MAX_DEPTH) {
        snprintf(err, errlen, "variables nest deeper than %d (a loop?)", VARS_MAX_DEPTH);
        return DET_ERR_LIMIT;
    }
    if (len == 0) {
        snprintf(err, errlen, "empty %s", is_port ? "port" : "address");
        return DET_ERR_PARSE;
    }
    if (memchr(s, '[', len) == NULL && memchr(s, ',', len) != NULL) {
        /* an unbracketed list ("5800,!445"): Suricata reads it as one */
        size_t start = 0;
        for (size_t i = 0; i <= len; i++)
            if (i == len || s[i] == ',') {
                int rc = vars_walk(v, is_port, s + start, i - start, neg, depth + 1, acc, elem, err, errlen);
                if (rc != 0)
                    return rc;
                start = i + 1;
            }
        return 0;
    }
    if (*s == '!')
        return vars_walk(v, is_port, s + 1, len - 1, !neg, depth + 1, acc, elem, err, errlen);
    if (*s == '[') {
        if (s[len - 1] != ']') {
            snprintf(err, errlen, "unbalanced '[' in \"%.*s\"", (int)(len > 60 ? 60 : len), s);
            return DET_ERR_PARSE;
        }
        s++;
        len -= 2;
        size_t start = 0;
        int d = 0;
        for (size_t i = 0; i <= len; i++) {
            if (i < len && s[i] == '[')
                d++;
            else if (i < len && s[i] == ']')
                d--;
            if (i == len || (s[i] == ',' && d == 0)) {
                int rc = vars_walk(v, is_port, s + start, i - start, neg, depth + 1, acc, elem, err, errlen);
                if (rc != 0)
                    return rc;
                start = i + 1;
            }
        }
        return 0;
    }
    if (*s == '$') {
        const char *t = vars_get(v, is_port, s + 1, len - 1);
        if (t == NULL) {
            snprintf(err, errlen, "undefined %s variable \"%.*s\"", is_port ? "port" : "address",
                     (int)(len > 60 ? 60 : len), s);
            return DET_ERR_NOENT;
        }
        return vars_walk(v, is_port, t, strlen(t), neg, depth + 1, acc, elem, err, errlen);
    }
    if (len == 3 && strncasecmp(s, "any", 3) == 0) {
        if (neg) {
            snprintf(err, errlen, "\"!any\" matches nothing");
            return DET_ERR_PARSE;
        }
        acc->any = true;
        return 0;
    }
    _Alignas(8) unsigned char e[sizeof(struct det_ipr)];
    int rc = elem(s, len, e, err, errlen);
    if (rc != 0)
        return rc;
    return vars_acc_push(acc, neg, e);
}

static int vars_ip_parse(const char *s, uint8_t out[16], uint8_t *ver)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n + 1);
    memset(out, 0, 16);
    if (inet_pton(AF_INET, tmp, out) == 1) {
        *ver = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        *ver = 6;
        return 0;
    }
    return -1;
}

static int vars_addr_elem(const char *s, size_t len, void *out, char *err, size_t errlen)
{
    struct det_ipr *r = out;
    char buf[96];
    if (len >= sizeof(buf))
        goto bad;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(r, 0, sizeof(*r));
    char *slash = strchr(buf, '/');
    char *dash = strchr(buf, '-');
    if (slash != NULL) {
        *slash = '\0';
        if (vars_ip_parse(buf, r->lo, &r->ver) != 0)
            goto bad;
        char *end;
        unsigned prefix;
        int maxp = r->ver == 4 ? 32 : 128;
        if (strchr(slash + 1, '.') != NULL) { /* dotted netmask */
            uint8_t m[16], mv;
            if (vars_ip_parse(slash + 1, m, &mv) != 0 || mv != 4)
                goto bad;
            uint32_t mm = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
            prefix = (unsigned)__builtin_popcount(mm);
        } else {
            unsigned long pl = strtoul(slash + 1, &end, 10);
            if (*end != '\0' || end == slash + 1 || pl > (unsigned long)maxp)
                goto bad;
            prefix = (unsigned)pl;
        }
        memcpy(r->hi, r->lo, 16);
        for (int bit = (int)prefix; bit < maxp; bit++) {
            r->lo[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
            r->hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
        }
        return 0;
    }
    if (dash != NULL) {
        uint8_t v2;
        *dash = '\0';
        if (vars_ip_parse(buf, r->lo, &r->ver) != 0 || vars_ip_parse(dash + 1, r->hi, &v2) != 0 ||
            v2 != r->ver || memcmp(r->lo, r->hi, 16) > 0)
            goto bad;
        return 0;
    }
    if (vars_ip_parse(buf, r->lo, &r->ver) != 0)
        goto bad;
    memcpy(r->hi, r->lo, 16);
    return 0;
bad:
    snprintf(err, errlen, "\"%.*s\" is not an address, CIDR or range", (int)(len > 60 ? 60 : len), s);
    return DET_ERR_PARSE;
}

static int vars_port_num(const char *s, size_t len, uint16_t *out)
{
    if (len == 0 || len > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int vars_port_elem(const char *s, size_t len, void *out, char *err, size_t errlen)
{
    struct det_portr *r = out;
    const char *colon = memchr(s, ':', len);
    if (colon == NULL) {
        if (vars_port_num(s, len, &r->lo) != 0)
            goto bad;
        r->hi = r->lo;
        return 0;
    }
    size_t l1 = (size_t)(colon - s), l2 = len - l1 - 1;
    r->lo = 0;
    r->hi = 65535;
    if (l1 > 0 && vars_port_num(s, l1, &r->lo) != 0)
        goto bad;
    if (l2 > 0 && vars_port_num(colon + 1, l2, &r->hi) != 0)
        goto bad;
    if (r->lo > r->hi)
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "\"%.*s\" is not a port or port range", (int)(len > 60 ? 60 : len), s);
    return DET_ERR_PARSE;
}

static int vars_finish(struct vars_acc *acc, struct det_arena *a, void **inc, void **exc,
                       uint32_t *ninc, uint32_t *nexc, bool *any, char *err, size_t errlen)
{
    int rc = 0;
    *any = acc->any || acc->ninc == 0;
    *ninc = *any ? 0 : acc->ninc;
    *nexc = acc->nexc;
    *inc = *exc = NULL;
    if (*ninc > 0 && (*inc = det_arena_alloc(a, (size_t)*ninc * acc->elem)) == NULL)
        rc = DET_ERR_NOMEM;
    else if (*ninc > 0)
        memcpy(*inc, acc->inc, (size_t)*ninc * acc->elem);
    if (rc == 0 && *nexc > 0 && (*exc = det_arena_alloc(a, (size_t)*nexc * acc->elem)) == NULL)
        rc = DET_ERR_NOMEM;
    else if (rc == 0 && *nexc > 0)
        memcpy(*exc, acc->exc, (size_t)*nexc * acc->elem);
    if (rc == DET_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    free(acc->inc);
    free(acc->exc);
    return rc;
}

/* (version, address) order; IPv4 addresses are zero past byte 4. */
static int vars_key_cmp(uint8_t va, const uint8_t *a, uint8_t vb, const uint8_t *b)
{
    if (va != vb)
        return va < vb ? -1 : 1;
    return memcmp(a, b, 16);
}

static int vars_ipr_cmp(const void *x, const void *y)
{
    const struct det_ipr *a = x, *b = y;
    return vars_key_cmp(a->ver, a->lo, b->ver, b->lo);
}

/* Sort ranges and merge overlapping ones, so that a lookup is one binary
 * search (IP-list rules such as ET's botcc/dshield carry hundreds of
 * ranges and have no content to prefilter on). Returns the new count. */
static uint32_t vars_merge(struct det_ipr *r, uint32_t n)
{
    uint32_t k = 0;
    if (n < 2)
        return n;
    qsort(r, n, sizeof(*r), vars_ipr_cmp);
    for (uint32_t i = 1; i < n; i++) {
        struct det_ipr *c = &r[k];
        if (r[i].ver == c->ver && memcmp(r[i].lo, c->hi, 16) <= 0) {
            if (memcmp(r[i].hi, c->hi, 16) > 0)
                memcpy(c->hi, r[i].hi, 16);
        } else {
            r[++k] = r[i];
        }
    }
    return k + 1;
}

int rule_vars_parse_addrs(const struct rule_vars *v, struct det_arena *a, const char *text,
                          struct det_addrs *out, char *err, size_t errlen)
{
    struct vars_acc acc = { .elem = sizeof(struct det_ipr) };
    int rc = vars_walk(v, false, text, strlen(text), false, 0, &acc, vars_addr_elem, err, errlen);
    if (rc != 0) {
        free(acc.inc);
        free(acc.exc);
        return rc;
    }
    void *inc, *exc;
    rc = vars_finish(&acc, a, &inc, &exc, &out->ninc, &out->nexc, &out->any, err, errlen);
    out->inc = inc;
    out->exc = exc;
    if (rc == 0) {
        out->ninc = vars_merge(out->inc, out->ninc);
        out->nexc = vars_merge(out->exc, out->nexc);
    }
    return rc;
}

int rule_vars_parse_ports(const struct rule_vars *v, struct det_arena *a, const char *text,
                          struct det_ports *out, char *err, size_t errlen)
{
    struct vars_acc acc = { .elem = sizeof(struct det_portr) };
    int rc = vars_walk(v, true, text, strlen(text), false, 0, &acc, vars_port_elem, err, errlen);
    if (rc != 0) {
        free(acc.inc);
        free(acc.exc);
        return rc;
    }
    void *inc, *exc;
    rc = vars_finish(&acc, a, &inc, &exc, &out->ninc, &out->nexc, &out->any, err, errlen);
    out->inc = inc;
    out->exc = exc;
    return rc;
}

static bool vars_in(const struct det_ipr *r, const uint8_t *addr, uint8_t ver)
{
    size_t n = ver == 4 ? 4 : 16;
    return r->ver == ver && memcmp(addr, r->lo, n) >= 0 && memcmp(addr, r->hi, n) <= 0;
}

/* Ranges are sorted and disjoint (vars_merge): the only candidate is the
 * last range starting at or before addr. */
static bool vars_find(const struct det_ipr *r, uint32_t n, const uint8_t *addr, uint8_t ver)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (vars_key_cmp(r[mid].ver, r[mid].lo, ver, addr) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && vars_in(&r[lo - 1], addr, ver);
}

bool rule_vars_addr_match(const struct det_addrs *s, const uint8_t *addr, uint8_t ver)
{
    if (s->nexc > 0 && vars_find(s->exc, s->nexc, addr, ver))
        return false;
    if (s->any)
        return true;
    return vars_find(s->inc, s->ninc, addr, ver);
}

bool rule_vars_port_match(const struct det_ports *s, uint16_t port)
{
    for (uint32_t i = 0; i < s->nexc; i++)
        if (port >= s->exc[i].lo && port <= s->exc[i].hi)
            return false;
    if (s->any)
        return true;
    for (uint32_t i = 0; i < s->ninc; i++)
        if (port >= s->inc[i].lo && port <= s->inc[i].hi)
            return true;
    return false;
}
