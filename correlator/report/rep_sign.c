/* rep_sign: OpenSSL glue for the CMS signature of reports (the only file
 * in report/ that calls the CMS API). Errors keep OpenSSL's own text.
 */
#include "report/rep_sign.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct rep_sign {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
};

static void rep_sign_ossl_error(const char *what, const char *file)
{
    char buf[256] = "unknown error";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    log_error("report", "%s%s%s: %s", file ? file : "", file ? ": " : "", what, buf);
}

void rep_sign_free(struct rep_sign *s)
{
    if (!s)
        return;
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

static BIO *rep_sign_open(const char *path)
{
    BIO *b = BIO_new_file(path, "r");
    if (!b)
        rep_sign_ossl_error("cannot open (report.sign.*)", path);
    return b;
}

struct rep_sign *rep_sign_new(const char *cert, const char *key, const char *chain)
{
    struct rep_sign *s = calloc(1, sizeof *s);
    BIO *b = NULL;
    if (!s)
        return NULL;
    if (!(b = rep_sign_open(cert)))
        goto fail;
    s->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!s->cert) {
        rep_sign_ossl_error("no PEM certificate", cert);
        goto fail;
    }
    const char *kpath = key && key[0] ? key : cert;
    if (!(b = rep_sign_open(kpath)))
        goto fail;
    s->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!s->key) {
        rep_sign_ossl_error("no PEM private key (encrypted keys are not supported)", kpath);
        goto fail;
    }
    if (X509_check_private_key(s->cert, s->key) != 1) {
        rep_sign_ossl_error("the key does not match the certificate", kpath);
        goto fail;
    }
    s->chain = sk_X509_new_null();
    if (!s->chain)
        goto fail;
    if (chain && chain[0]) {
        if (!(b = rep_sign_open(chain)))
            goto fail;
        X509 *x;
        while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
            sk_X509_push(s->chain, x);
        ERR_clear_error(); /* the end of the file reads as an error */
        BIO_free(b);
    }
    return s;
fail:
    rep_sign_free(s);
    return NULL;
}

int rep_sign_data(struct rep_sign *s, const void *data, size_t len, char **pem)
{
    int ret = -1;
    BIO *in = BIO_new_mem_buf(data, (int)len), *out = BIO_new(BIO_s_mem());
    CMS_ContentInfo *cms = NULL;
    *pem = NULL;
    if (!in || !out || len > (size_t)1 << 30)
        goto out;
    cms = CMS_sign(s->cert, s->key, s->chain, in, CMS_DETACHED | CMS_BINARY);
    if (!cms) {
        rep_sign_ossl_error("CMS_sign failed", NULL);
        goto out;
    }
    if (PEM_write_bio_CMS_stream(out, cms, in, CMS_DETACHED | CMS_BINARY) != 1) {
        rep_sign_ossl_error("PEM_write_bio_CMS_stream failed", NULL);
        goto out;
    }
    char *p = NULL;
    long n = BIO_get_mem_data(out, &p);
    *pem = malloc((size_t)n + 1);
    if (!*pem)
        goto out;
    memcpy(*pem, p, (size_t)n);
    (*pem)[n] = 0;
    ret = 0;
out:
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    BIO_free(out);
    return ret;
}

int rep_sign_pem_b64(const char *pem, char **b64)
{
    size_t n = strlen(pem), o = 0;
    char *out = malloc(n + 1);
    if (!out)
        return -1;
    const char *p = pem;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t l = eol ? (size_t)(eol - p) : strlen(p);
        if (l && p[0] != '-') {
            for (size_t i = 0; i < l; i++)
                if (p[i] != '\r')
                    out[o++] = p[i];
        }
        p += l + (eol ? 1 : 0);
    }
    out[o] = 0;
    *b64 = out;
    return o ? 0 : -1;
}
