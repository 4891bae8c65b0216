/* fuzz_app: the app-layer extraction on arbitrary bytes: the first byte
 * picks the target (DNS message, TLS ClientHello/ServerHello, HTTP through
 * libhtp with the input cut into request/response chunks, protocol guess),
 * the rest is the data. HTTP transactions build every buffer, which the
 * callback reads whole so ASan sees any bad pointer or length.
 */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "app/app_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned fuzz_app_sum;

static void fuzz_app_tx(void *arg, int dir, const struct det_buf_ref *buf, const struct eve_alert_app *info)
{
    (void)arg;
    (void)info;
    for (int b = 0; b < DET_BUF_MAX; b++)
        for (uint32_t i = 0; i < buf[b].len; i++)
            fuzz_app_sum += buf[b].ptr[i] + (unsigned)dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct app_http_cfg *hc;
    struct timeval ts = { 1700000000, 0 };

    if (size < 2)
        return 0;
    if (hc == NULL && (hc = app_http_cfg_new(4096, 4096, 2)) == NULL)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    switch (sel % 5) {
    case 0: {
        static struct eve_dns m;
        if (app_dns_parse(data, size, &m) == 0 && (m.qname_len >= sizeof(m.qname) || m.qname[m.qname_len] != '\0'))
            __builtin_trap();
        break;
    }
    case 1:
    case 2: {
        struct app_tls_hello h;
        if (app_tls_parse_hello(data, size, sel % 5 == 1, &h) == 1 &&
            (h.sni_len >= APP_TLS_SNI_MAX || h.ja3_str_len >= sizeof(h.ja3_str)))
            __builtin_trap();
        break;
    }
    case 3: {
        /* chunks: [len byte][dir in the top bit] data ... */
        struct app_http *h = app_http_new(hc, fuzz_app_tx, NULL);
        if (h == NULL)
            break;
        size_t p = 0;
        while (p < size) {
            size_t n = data[p] & 0x7f;
            int dir = data[p] >> 7;
            p++;
            if (n > size - p)
                n = size - p;
            if (n == 0 && (sel & 0x80))
                app_http_gap(h, dir);
            app_http_data(h, dir, data + p, n, ts);
            p += n;
        }
        app_http_close(h, ts);
        app_http_free(h);
        break;
    }
    default:
        (void)app_proto_guess(sel & 1, data, size);
        break;
    }
    return 0;
}
