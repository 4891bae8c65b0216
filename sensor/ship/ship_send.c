/* ship_send: one batch to the correlator: gzip (zlib) + HTTP POST (libcurl).
 *
 * The only file that talks to libcurl and zlib. One easy handle per shipper
 * thread, kept alive between batches. TLS verification is on unless the
 * config turns it off; the CA file replaces the system store when given.
 * The answer is classified for the retry policy in ship.c: 2xx committed,
 * 400/413/422 a bad batch, anything else (transport errors, 5xx, 408, 429,
 * and configuration mistakes such as 401/403/404/415) is retried.
 */
#include "ship/ship_private.h"
#include "ship/ship.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"

#define MOD "ship"
#define SEND_PATH "/api/v1/events"
/* Enough of an error body to log what the correlator objected to. */
#define SEND_RESP_MAX 4096

struct ship_send {
    CURL *h;
    struct curl_slist *hdrs;
    char *url, *auth;
    char errbuf[CURL_ERROR_SIZE];
    char resp[SEND_RESP_MAX + 1];
    size_t resp_len;
    z_stream z;
    bool z_ready;
    unsigned char *gz;
    size_t gz_cap;
    atomic_bool *abort_flag;
};

static pthread_once_t send_once = PTHREAD_ONCE_INIT;
static CURLcode send_global_rc;

static void send_global_init(void)
{
    send_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct ship_send *sd = arg;
    size_t n = size * nmemb, room = SEND_RESP_MAX - sd->resp_len;
    size_t take = n < room ? n : room;
    memcpy(sd->resp + sd->resp_len, p, take);
    sd->resp_len += take;
    sd->resp[sd->resp_len] = '\0';
    return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct ship_send *sd = arg;
    return sd->abort_flag != NULL && atomic_load(sd->abort_flag) ? 1 : 0;
}

/* http://host:port → http://host:port/api/v1/events; a URL with a path is kept. */
static char *make_url(const char *url)
{
    const char *p = strstr(url, "://");
    const char *path = p != NULL ? strchr(p + 3, '/') : NULL;
    size_t n = strlen(url);
    if (path != NULL && strcmp(path, "/") != 0)
        return strdup(url);
    if (path != NULL)
        n--;
    char *out = malloc(n + sizeof(SEND_PATH));
    if (out != NULL) {
        memcpy(out, url, n);
        memcpy(out + n, SEND_PATH, sizeof(SEND_PATH));
    }
    return out;
}

struct ship_send *ship_send_new(const char *url, const char *token, const char *ca_file,
                                bool verify_tls, atomic_bool *abort_flag)
{
    struct ship_send *sd = calloc(1, sizeof(*sd));
    if (sd == NULL)
        return NULL;
    sd->abort_flag = abort_flag;
    pthread_once(&send_once, send_global_init);
    if (send_global_rc != CURLE_OK) {
        log_error(MOD, "libcurl: %s", curl_easy_strerror(send_global_rc));
        goto fail;
    }
    sd->url = make_url(url);
    size_t alen = strlen("Authorization: Bearer ") + strlen(token) + 1;
    sd->auth = malloc(alen);
    sd->h = curl_easy_init();
    if (sd->url == NULL || sd->auth == NULL || sd->h == NULL)
        goto fail;
    snprintf(sd->auth, alen, "Authorization: Bearer %s", token);
    struct curl_slist *l = NULL;
    const char *hdrs[] = { "Content-Type: application/x-ndjson", "Content-Encoding: gzip",
                           "Expect:", sd->auth };
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        struct curl_slist *n = curl_slist_append(l, hdrs[i]);
        if (n == NULL) {
            curl_slist_free_all(l);
            goto fail;
        }
        l = n;
    }
    sd->hdrs = l;
    if (deflateInit2(&sd->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        goto fail;
    sd->z_ready = true;

    CURL *h = sd->h;
    curl_easy_setopt(h, CURLOPT_URL, sd->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sd->hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, sd->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sd);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, sd);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    /* The correlator answers after its SQLite commit; a large batch on a
     * busy store may take seconds, a dead peer must not hold us forever. */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "canh-sensor");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify_tls ? 2L : 0L);
    if (ca_file != NULL && ca_file[0] != '\0')
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    if (strncmp(sd->url, "https://", 8) != 0)
        log_warning(MOD, "%s: plain HTTP, the sensor token and events travel unencrypted",
                    sd->url);
    else if (!verify_tls)
        log_warning(MOD, "%s: TLS certificate verification is off", sd->url);
    return sd;
fail:
    log_error(MOD, "cannot set up the HTTP client for %s", url);
    ship_send_free(sd);
    return NULL;
}

void ship_send_free(struct ship_send *sd)
{
    if (sd == NULL)
        return;
    if (sd->h != NULL)
        curl_easy_cleanup(sd->h);
    curl_slist_free_all(sd->hdrs);
    if (sd->z_ready)
        deflateEnd(&sd->z);
    free(sd->gz);
    free(sd->url);
    free(sd->auth);
    free(sd);
}

const char *ship_send_url(const struct ship_send *sd)
{
    return sd->url;
}

static int gzip_body(struct ship_send *sd, const char *body, size_t len, size_t *out_len)
{
    if (deflateReset(&sd->z) != Z_OK)
        return -1;
    size_t need = deflateBound(&sd->z, (uLong)len) + 32;
    if (need > sd->gz_cap) {
        unsigned char *g = realloc(sd->gz, need);
        if (g == NULL)
            return -1;
        sd->gz = g;
        sd->gz_cap = need;
    }
    sd->z.next_in = (Bytef *)body;
    sd->z.avail_in = (uInt)len;
    sd->z.next_out = sd->gz;
    sd->z.avail_out = (uInt)sd->gz_cap;
    if (deflate(&sd->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    *out_len = sd->gz_cap - sd->z.avail_out;
    return 0;
}

/* {"accepted": n, "duplicates": d}; -1 for what is missing. */
static void parse_answer(const char *body, size_t len, struct ship_send_result *res)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    if (j == NULL)
        return;
    json_t *a = json_object_get(j, "accepted"), *d = json_object_get(j, "duplicates");
    if (json_is_integer(a))
        res->accepted = (long)json_integer_value(a);
    if (json_is_integer(d))
        res->duplicates = (long)json_integer_value(d);
    json_decref(j);
}

enum ship_send_class ship_send_post(struct ship_send *sd, const char *body, size_t len,
                                    uint32_t nlines, struct ship_send_result *res)
{
    size_t gz_len;
    memset(res, 0, sizeof(*res));
    res->accepted = res->duplicates = -1;
    res->detail = "";
    sd->resp_len = 0;
    sd->resp[0] = '\0';
    sd->errbuf[0] = '\0';
    if (gzip_body(sd, body, len, &gz_len) != 0) {
        res->detail = "gzip failed";
        return SHIP_SEND_RETRY;
    }
    curl_easy_setopt(sd->h, CURLOPT_POSTFIELDS, (const char *)sd->gz);
    curl_easy_setopt(sd->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)gz_len);
    CURLcode rc = curl_easy_perform(sd->h);
    if (rc != CURLE_OK) {
        res->detail = sd->errbuf[0] != '\0' ? sd->errbuf : curl_easy_strerror(rc);
        return SHIP_SEND_RETRY;
    }
    curl_off_t ra = 0;
    curl_easy_getinfo(sd->h, CURLINFO_RESPONSE_CODE, &res->status);
    if (curl_easy_getinfo(sd->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        res->retry_after_s = (long)ra;
    res->detail = sd->resp;
    long st = res->status;
    if (st >= 200 && st < 300) {
        parse_answer(sd->resp, sd->resp_len, res);
        if (res->accepted >= 0 && res->duplicates >= 0 &&
            (uint64_t)(res->accepted + res->duplicates) != nlines)
            log_warning(MOD, "%s: sent %u events, correlator reports %ld accepted + %ld "
                        "duplicates", sd->url, nlines, res->accepted, res->duplicates);
        return SHIP_SEND_OK;
    }
    /* Only answers about the events themselves make a batch bad. 401/403
     * (token), 404/405 (URL), 415 (encoding) and 3xx are configuration or
     * version problems that would otherwise move every event to rejected/:
     * keep the events and retry, logged, until the operator fixes it. */
    if (st == 400 || st == 413 || st == 422)
        return SHIP_SEND_BAD;
    return SHIP_SEND_RETRY;
}
