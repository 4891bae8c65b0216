/* ing_auth: bearer tokens. A token is "canh_" + 64 hex digits (32 random
 * bytes from libsodium); the store keeps only its SHA-256, so a leaked
 * database does not leak credentials. Tokens are shown once, at creation.
 */
#ifndef CANH_ING_AUTH_H
#define CANH_ING_AUTH_H

#include <stddef.h>

#include "store/db_auth.h"

#define ING_AUTH_TOKEN_LEN 69 /* "canh_" + 64 hex */

/* Call once before anything else here (initialises libsodium). 0 or -1. */
int ing_auth_init(void);

/* A new random token in out (ING_AUTH_TOKEN_LEN + 1 bytes) and its digest. */
void ing_auth_token_new(char out[ING_AUTH_TOKEN_LEN + 1],
                        unsigned char hash[DB_AUTH_HASH_LEN]);

/* Digest of a presented token. */
void ing_auth_hash(const char *token, size_t len, unsigned char hash[DB_AUTH_HASH_LEN]);

/* The token in an "Authorization: Bearer <token>" value; NULL when the
 * header is missing or not a bearer token. *len gets its length. */
const char *ing_auth_bearer(const char *header, size_t *len);

/* Create a sensor or user token and print nothing: the caller shows it.
 * 0, DB_ERR_NOENT (no such sensor/user) or another DB_ERR. */
int ing_auth_token_create(struct db *d, enum db_principal_kind kind, const char *owner,
                          const char *actor, char out[ING_AUTH_TOKEN_LEN + 1],
                          long long *token_id);

#endif
