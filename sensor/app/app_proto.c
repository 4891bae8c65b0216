/* app_proto: which parser a flow direction gets, from its first bytes, as
 * Suricata's protocol detection does (patterns at offset 0), so that the app
 * layer does not wait for nDPI's verdict. nDPI's verdict is used by the
 * caller when these bytes say nothing.
 */
#include <string.h>

#include "app/app_private.h"

static const char *const app_http_methods[] = {
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE ",
    "PROPFIND ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "PROPPATCH ", NULL,
};

enum det_app app_proto_guess(int dir, const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0x16 && d[1] == 0x03 && d[2] <= 0x04)
        return DET_APP_TLS;
    if (n >= 4 && memcmp(d, "SSH-", 4) == 0)
        return DET_APP_SSH;
    /* either direction: a flow whose initiator is the HTTP server is HTTP too */
    (void)dir;
    for (int i = 0; app_http_methods[i] != NULL; i++) {
        size_t l = strlen(app_http_methods[i]);
        if (n >= l && memcmp(d, app_http_methods[i], l) == 0)
            return DET_APP_HTTP;
    }
    if (n >= 5 && memcmp(d, "HTTP/", 5) == 0)
        return DET_APP_HTTP;
    return DET_APP_UNKNOWN;
}

const char *app_proto_name(enum det_app a)
{
    switch (a) {
    case DET_APP_HTTP: return "http";
    case DET_APP_TLS: return "tls";
    case DET_APP_DNS: return "dns";
    case DET_APP_SSH: return "ssh";
    default: return NULL;
    }
}
