/* rep_post: delivery of a signed bundle by one plain HTTPS POST, for a
 * centre that does not run TAXII. The body is the bundle's exact bytes
 * (Content-Type application/stix+json;version=2.1); the detached CMS
 * signature travels base64 (DER) in the header X-Canh-Signature, so the
 * receiver can verify the body as received. Any 2xx is delivered; the
 * verdicts are rep_http's. One delivery at a time; loop thread only.
 */
#ifndef CANH_REP_POST_H
#define CANH_REP_POST_H

#include "report/rep_http.h"

struct rep_post_cfg {
    const char *url;
    struct rep_http_peer peer;
};

struct rep_post;

struct rep_post *rep_post_new(struct rep_http *h, const struct rep_post_cfg *c);
void rep_post_free(struct rep_post *p);

/* body and sig_b64 are borrowed until cb. 0, or -1 when busy (cb not called). */
int rep_post_send(struct rep_post *p, const char *body, size_t len, const char *sig_b64,
                  rep_http_done_fn cb, void *arg);

#endif
