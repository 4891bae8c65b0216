/* portal_auth: browser logins. POST /login checks an Argon2id password
 * (libsodium) and opens a session: a random cookie (HttpOnly,
 * SameSite=Strict, Secure under TLS) whose SHA-256 is stored, and a CSRF
 * token every state-changing request must echo in X-CSRF-Token. Failures
 * are counted per user and per client address; past the limit within the
 * window the login answers 429 until the oldest failure ages out (audited).
 * Also /logout, /whoami and PUT /me/prefs. Loop thread.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ing_auth.h"
#include "log.h"
#include "portal/portal_private.h"
#include "store/db_incident.h"
#include "store/db_portal.h"

#define PORTAL_COOKIE "canh_session"
#define PORTAL_SID_LEN 64 /* hex of 32 random bytes */
#define PORTAL_PW_MAX 1024
#define PORTAL_DEFAULT_LANG "vi"
#define PORTAL_DEFAULT_TZ "Asia/Ho_Chi_Minh"

static void portal_auth_random_hex(char *out, size_t hexlen)
{
    unsigned char raw[64];
    size_t n = hexlen / 2;
    randombytes_buf(raw, n);
    sodium_bin2hex(out, hexlen + 1, raw, n);
    sodium_memzero(raw, sizeof raw);
}

/* The canh_session value of the Cookie header into out; 0 or -1. */
static int portal_auth_cookie(struct ing_req *r, char out[PORTAL_SID_LEN + 1])
{
    const char *c = ing_http_header(r, "Cookie");
    size_t klen = strlen(PORTAL_COOKIE);
    while (c && *c) {
        while (*c == ' ' || *c == ';')
            c++;
        if (strncmp(c, PORTAL_COOKIE, klen) == 0 && c[klen] == '=') {
            const char *v = c + klen + 1;
            size_t n = strcspn(v, ";");
            while (n > 0 && v[n - 1] == ' ')
                n--;
            if (n != PORTAL_SID_LEN)
                return -1;
            for (size_t i = 0; i < n; i++)
                if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
                    return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        c = strchr(c, ';');
    }
    return -1;
}

static int portal_auth_changes(enum evhttp_cmd_type m)
{
    return m == EVHTTP_REQ_POST || m == EVHTTP_REQ_PUT || m == EVHTTP_REQ_PATCH ||
           m == EVHTTP_REQ_DELETE;
}

int portal_auth_session(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    char sid[PORTAL_SID_LEN + 1];
    if (!p->cfg.enabled || portal_auth_cookie(r, sid) != 0)
        return 1;
    unsigned char hash[DB_AUTH_HASH_LEN];
    ing_auth_hash(sid, PORTAL_SID_LEN, hash);
    struct db_portal_session s;
    int rc = db_portal_session_get(p->db, hash, (int64_t)p->cfg.session_idle_s * 1000000,
                                   db_now_us(), &s);
    if (rc == DB_ERR_NOENT) {
        ing_http_error(r, 401, "session expired or unknown; log in again", 0);
        return -1;
    }
    if (rc) {
        ing_http_error(r, 500, "session lookup failed", 0);
        return -1;
    }
    if (portal_auth_changes(r->method)) {
        const char *tok = ing_http_header(r, "X-CSRF-Token");
        if (!tok || strlen(tok) != DB_PORTAL_CSRF_LEN ||
            sodium_memcmp(tok, s.csrf, DB_PORTAL_CSRF_LEN) != 0) {
            ing_http_error(r, 403, "csrf", 0);
            return -1;
        }
    }
    r->who.kind = DB_PRINCIPAL_USER;
    r->who.role = s.role;
    r->who.token_id = 0;
    snprintf(r->who.name, sizeof r->who.name, "%s", s.user);
    return 0;
}

static void portal_auth_cookie_header(struct portal *p, struct ing_req *r, const char *value)
{
    char c[200];
    snprintf(c, sizeof c, PORTAL_COOKIE "=%s; %sHttpOnly; SameSite=Strict; Path=/%s", value,
             value[0] ? "" : "Max-Age=0; ", p->tls ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", c);
}

static json_t *portal_auth_me(const char *user, enum db_role role, const char *csrf,
                              const char *lang, const char *tz)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "user", user, "name", user, "role",
                     db_auth_role_name(role), "csrf", csrf ? json_string(csrf) : json_null(),
                     "lang", lang && lang[0] ? lang : PORTAL_DEFAULT_LANG,
                     "tz", tz && tz[0] ? tz : PORTAL_DEFAULT_TZ);
}

/* 0 when neither the user nor the address is locked; else the reply
 * (429) has been sent and the refusal audited. */
static int portal_auth_lockout(struct portal *p, struct ing_req *r, const char *ukey,
                               const char *akey, const char *user)
{
    int64_t now = db_now_us(), win = (int64_t)p->cfg.lockout_window_s * 1000000;
    int nu = 0, na = 0;
    int64_t ou = 0, oa = 0;
    if (db_portal_fail_count(p->db, ukey, now - win, &nu, &ou) != 0 ||
        db_portal_fail_count(p->db, akey, now - win, &na, &oa) != 0) {
        ing_http_error(r, 503, "login check failed; retry later", 0);
        return -1;
    }
    int by_user = nu >= p->cfg.lockout_attempts, by_addr = na >= p->cfg.lockout_address_attempts;
    if (!by_user && !by_addr)
        return 0;
    int64_t oldest = by_user && by_addr ? (ou > oa ? ou : oa) : by_user ? ou : oa;
    int64_t retry = (oldest + win - now) / 1000000 + 1;
    if (retry < 1)
        retry = 1;
    json_t *detail = json_pack("{s:s, s:s, s:s, s:I}", "user", user, "peer", r->peer, "by",
                               by_user ? "user" : "address", "retry_after", (json_int_t)retry);
    db_incident_audit(p->db, user, "login_locked", 0, detail);
    json_decref(detail);
    log_notice("portal", "login of %s from %s refused: locked (%d user / %d address failures)",
               user, r->peer, nu, na);
    char ra[24];
    snprintf(ra, sizeof ra, "%lld", (long long)retry);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", ra);
    ing_http_reply(r, 429, json_pack("{s:s, s:I}", "error", "locked", "retry_after",
                                     (json_int_t)retry));
    return -1;
}

/* Argon2id verify; unknown users are checked against a dummy hash so that
 * the answer takes as long as for a known one. */
static int portal_auth_verify(struct portal *p, const struct db_portal_user *u, int known,
                              const char *pw)
{
    const char *hash = known && u->pw_hash[0] ? u->pw_hash : NULL;
    if (!hash) {
        if (!p->dummy_hash[0] &&
            crypto_pwhash_str_alg(p->dummy_hash, "canh-dummy", 10,
                                  crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
            return 0;
        /* Same work as a real check; the result does not matter. */
        volatile int same = crypto_pwhash_str_verify(p->dummy_hash, pw, strlen(pw));
        (void)same;
        return 0;
    }
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void portal_auth_login(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    if (!user || !pw || strlen(pw) > PORTAL_PW_MAX) {
        ing_http_error(r, 400, "\"username\" and \"password\" (at most 1024 bytes) are required",
                       0);
        goto out;
    }
    /* Logins are rare: drop idle sessions and aged-out failures here rather
     * than on a timer. */
    int64_t t0 = db_now_us();
    db_portal_expire(p->db, t0 - (int64_t)p->cfg.session_idle_s * 1000000,
                     t0 - (int64_t)p->cfg.lockout_window_s * 1000000);
    char ukey[DB_AUTH_NAME_MAX + 8], akey[80];
    int valid_name = db_auth_name_valid(user);
    snprintf(ukey, sizeof ukey, "user:%s", valid_name ? user : "?");
    snprintf(akey, sizeof akey, "addr:%s", r->peer);
    if (portal_auth_lockout(p, r, ukey, akey, valid_name ? user : "?") != 0)
        goto out;
    struct db_portal_user u;
    memset(&u, 0, sizeof u);
    int known = valid_name && db_portal_user_get(p->db, user, &u) == 0;
    int64_t now = db_now_us();
    if (!portal_auth_verify(p, &u, known, pw)) {
        if (valid_name)
            db_portal_fail_add(p->db, ukey, now);
        db_portal_fail_add(p->db, akey, now);
        json_t *detail = json_pack("{s:s}", "peer", r->peer);
        db_incident_audit(p->db, valid_name ? user : "?", "login_failed", 0, detail);
        json_decref(detail);
        ing_http_error(r, 401, "bad user name or password", 0);
        goto out;
    }
    char sid[PORTAL_SID_LEN + 1], csrf[DB_PORTAL_CSRF_LEN + 1];
    unsigned char hash[DB_AUTH_HASH_LEN];
    portal_auth_random_hex(sid, PORTAL_SID_LEN);
    portal_auth_random_hex(csrf, DB_PORTAL_CSRF_LEN);
    ing_auth_hash(sid, PORTAL_SID_LEN, hash);
    if (db_portal_session_add(p->db, hash, user, csrf, r->peer, now) != 0) {
        ing_http_error(r, 503, "session creation failed; retry later", 0);
        goto out;
    }
    db_portal_fail_clear(p->db, ukey);
    json_t *detail = json_pack("{s:s}", "peer", r->peer);
    db_incident_audit(p->db, user, "login", 0, detail);
    json_decref(detail);
    log_info("portal", "user %s logged in from %s", user, r->peer);
    portal_auth_cookie_header(p, r, sid);
    sodium_memzero(sid, sizeof sid);
    ing_http_reply(r, 200, portal_auth_me(user, u.role, csrf, u.lang, u.tz));
out:
    json_decref(body);
}

void portal_auth_logout(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    char sid[PORTAL_SID_LEN + 1];
    if (portal_auth_cookie(r, sid) == 0) {
        unsigned char hash[DB_AUTH_HASH_LEN];
        ing_auth_hash(sid, PORTAL_SID_LEN, hash);
        db_portal_session_delete(p->db, hash);
        db_incident_audit(p->db, r->who.name, "logout", 0, NULL);
    }
    portal_auth_cookie_header(p, r, "");
    portal_reply_empty(r, 204);
}

void portal_auth_whoami(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    struct db_portal_user u;
    memset(&u, 0, sizeof u);
    db_portal_user_get(p->db, r->who.name, &u);
    char sid[PORTAL_SID_LEN + 1];
    struct db_portal_session s;
    const char *csrf = NULL;
    if (!ing_http_header(r, "Authorization") && portal_auth_cookie(r, sid) == 0) {
        unsigned char hash[DB_AUTH_HASH_LEN];
        ing_auth_hash(sid, PORTAL_SID_LEN, hash);
        if (db_portal_session_get(p->db, hash, (int64_t)p->cfg.session_idle_s * 1000000,
                                  db_now_us(), &s) == 0)
            csrf = s.csrf;
    }
    ing_http_reply(r, 200, portal_auth_me(r->who.name, r->who.role, csrf, u.lang, u.tz));
}

/* An IANA zone name that exists in the system's database (when there is
 * one): letters, digits, '_', '+', '-' and '/' between components. */
static int portal_auth_tz_valid(const char *tz)
{
    size_t n = strlen(tz);
    if (n == 0 || n > 63 || tz[0] == '/' || strstr(tz, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = tz[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '/'))
            return 0;
    }
    struct stat st;
    if (stat("/usr/share/zoneinfo", &st) != 0)
        return 1;
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void portal_auth_prefs(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    json_t *jl = json_object_get(body, "lang"), *jt = json_object_get(body, "tz");
    const char *lang = json_string_value(jl), *tz = json_string_value(jt);
    if ((jl && (!lang || (strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0))) ||
        (jt && (!tz || !portal_auth_tz_valid(tz))) || (!jl && !jt)) {
        ing_http_error(r, 400, "give \"lang\" (vi or en) and/or \"tz\" (an IANA zone such as "
                       "Asia/Ho_Chi_Minh)", 0);
        goto out;
    }
    int rc = db_portal_set_prefs(p->db, r->who.name, lang, tz);
    struct db_portal_user u;
    if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such user", 0);
    else if (rc || db_portal_user_get(p->db, r->who.name, &u) != 0)
        ing_http_error(r, 503, "saving preferences failed; retry later", 0);
    else
        ing_http_reply(r, 200, json_pack("{s:s, s:s}",
                                         "lang", u.lang[0] ? u.lang : PORTAL_DEFAULT_LANG,
                                         "tz", u.tz[0] ? u.tz : PORTAL_DEFAULT_TZ));
out:
    json_decref(body);
}

int portal_auth_set_password(struct db *d, const char *user, const char *password,
                             const char *actor)
{
    char hash[crypto_pwhash_STRBYTES];
    size_t n = strlen(password);
    if (n < 8 || n > PORTAL_PW_MAX)
        return DB_ERR_INVAL;
    if (crypto_pwhash_str_alg(hash, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        log_error("portal", "password hashing failed (out of memory?)");
        return DB_ERR_NOMEM;
    }
    return db_portal_set_password(d, user, hash, actor);
}
