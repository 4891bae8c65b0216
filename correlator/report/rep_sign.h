/* rep_sign: detached CMS signatures (RFC 5652) over a report's exact bytes
 * with the organisation's X.509 certificate and key, through OpenSSL
 * (CMS_sign with CMS_DETACHED|CMS_BINARY: the bytes are signed as they
 * are, no MIME canonicalisation). A receiver checks a bundle with
 *   openssl cms -verify -binary -content bundle.json -inform PEM -in sig.pem -CAfile ca.pem
 * Loaded once at start; signing is on the loop thread and takes ~1 ms.
 */
#ifndef CANH_REP_SIGN_H
#define CANH_REP_SIGN_H

#include <stddef.h>

struct rep_sign;

/* cert, key: PEM files (key may be NULL: taken from cert); chain: PEM file
 * of intermediate certificates to include, or NULL. NULL on failure (logged
 * with OpenSSL's reason and the file). Checks that key and cert match. */
struct rep_sign *rep_sign_new(const char *cert, const char *key, const char *chain);
void rep_sign_free(struct rep_sign *s);

/* The PEM ("-----BEGIN CMS-----") detached signature of data; *pem is
 * malloc'd and NUL-terminated (caller frees). 0 or -1 (logged). */
int rep_sign_data(struct rep_sign *s, const void *data, size_t len, char **pem);

/* The base64 body of a PEM block on one line (the DER in base64), for an
 * HTTP header. *b64 is malloc'd. 0 or -1. */
int rep_sign_pem_b64(const char *pem, char **b64);

#endif
