/* ing_auth: random bearer tokens and their SHA-256 digests (libsodium),
 * and the Authorization header parser used by every request.
 */
#include "ingest/ing_auth.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

int ing_auth_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void ing_auth_token_new(char out[ING_AUTH_TOKEN_LEN + 1], unsigned char hash[DB_AUTH_HASH_LEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, "canh_", 5);
    sodium_bin2hex(out + 5, ING_AUTH_TOKEN_LEN + 1 - 5, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    ing_auth_hash(out, ING_AUTH_TOKEN_LEN, hash);
}

void ing_auth_hash(const char *token, size_t len, unsigned char hash[DB_AUTH_HASH_LEN])
{
    crypto_hash_sha256(hash, (const unsigned char *)token, len);
}

const char *ing_auth_bearer(const char *header, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 256)
        return NULL;
    *len = n;
    return t;
}

int ing_auth_token_create(struct db *d, enum db_principal_kind kind, const char *owner,
                          const char *actor, char out[ING_AUTH_TOKEN_LEN + 1],
                          long long *token_id)
{
    unsigned char hash[DB_AUTH_HASH_LEN];
    int64_t id = 0;
    ing_auth_token_new(out, hash);
    int rc = db_auth_token_add(d, kind, owner, hash, actor, &id);
    if (rc == 0 && token_id)
        *token_id = id;
    if (rc != 0)
        sodium_memzero(out, ING_AUTH_TOKEN_LEN + 1);
    return rc;
}
