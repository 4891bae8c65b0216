/* rep_taxii: a TAXII 2.1 client (OASIS TAXII 2.1 CS01) on rep_http.
 *
 * One delivery: GET the discovery resource -> pick the API root (the
 * configured one, else the server's default, else the first) -> GET the
 * API root (must speak taxii+json 2.1) -> GET {root}collections/ -> find
 * the collection by id or title with can_write -> POST the envelope to
 * {root}collections/{id}/objects/ -> follow GET {root}status/{sid}/ until
 * "complete" (or the status timeout). A complete status with failures is
 * checked object by object: a version the collection already holds (a
 * re-send) counts as delivered; anything else is a refusal.
 * The resolved objects URL is kept until an error. One delivery at a time;
 * loop thread only.
 */
#ifndef CANH_REP_TAXII_H
#define CANH_REP_TAXII_H

#include "report/rep_http.h"

struct rep_taxii_cfg {
    const char *discovery;     /* e.g. https://centre.example/taxii2/ */
    const char *api_root;      /* "" or NULL: the server's default */
    const char *collection;    /* id or title */
    struct rep_http_peer peer;
    int status_timeout_s;      /* how long a "pending" status is followed */
};

struct rep_taxii;

/* The strings in c must outlive the client. */
struct rep_taxii *rep_taxii_new(struct event_base *base, struct rep_http *h,
                                const struct rep_taxii_cfg *c);
void rep_taxii_free(struct rep_taxii *t);

/* Deliver an envelope ({"objects": [...]}, borrowed until cb). cb runs
 * once, later, on the loop. 0, or -1 when busy or out of memory (cb not
 * called). */
int rep_taxii_send(struct rep_taxii *t, const char *envelope, size_t len, rep_http_done_fn cb,
                   void *arg);

#endif
