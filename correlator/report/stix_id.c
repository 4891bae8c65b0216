/* stix_id: UUIDv5 over OpenSSL's SHA-1 and the two namespaces STIX ids
 * derive from (ours for SDOs, the spec's for SCOs). No state.
 */
#include "report/stix_id.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* 5b0e4c52-31b2-4e5d-9a41-6b7f0d3c8e17: chosen once at random for Canh. */
const uint8_t stix_id_canh_ns[16] = {
    0x5b, 0x0e, 0x4c, 0x52, 0x31, 0xb2, 0x4e, 0x5d,
    0x9a, 0x41, 0x6b, 0x7f, 0x0d, 0x3c, 0x8e, 0x17,
};

const uint8_t stix_id_sco_ns[16] = {
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
    0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
};

int stix_id_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[37])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ret = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, ns, 16) != 1 || EVP_DigestUpdate(ctx, name, len) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
        goto out;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        p += sprintf(p, "%02x", md[i]);
    }
    ret = 0;
out:
    EVP_MD_CTX_free(ctx);
    return ret;
}

static int stix_id_join(const char *type, const uint8_t ns[16], const char *name, char *out,
                        size_t cap)
{
    char uuid[37];
    if (stix_id_uuid5(ns, name, strlen(name), uuid) != 0)
        return -1;
    int n = snprintf(out, cap, "%s--%s", type, uuid);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int stix_id_make(const char *type, const char *name, char *out, size_t cap)
{
    return stix_id_join(type, stix_id_canh_ns, name, out, cap);
}

int stix_id_sco(const char *type, const char *canon, char *out, size_t cap)
{
    return stix_id_join(type, stix_id_sco_ns, canon, out, cap);
}
