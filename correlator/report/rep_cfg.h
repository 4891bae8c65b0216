/* rep_cfg: the `report.*` section of correlator.yaml: the reporting policy
 * (which incidents go to the national centre), the organisation and TLP,
 * the signing certificate, the transport (TAXII 2.1 or plain HTTPS POST),
 * retries and the daily summary. corr_cfg adds this schema to its own and
 * fills struct corr_cfg.report through rep_cfg_read(). Start-up only.
 */
#ifndef CANH_REP_CFG_H
#define CANH_REP_CFG_H

#include <stdbool.h>
#include <stdint.h>

struct cfg;

enum rep_cfg_transport { REP_CFG_TAXII, REP_CFG_POST };

/* One outbound peer (TLS and credentials). */
struct rep_cfg_peer {
    char url[512];
    char user[128], password[256];
    char ca_file[512], cert[512], key[512];
    bool verify;
    int timeout_s;
};

struct rep_cfg {
    bool enabled;
    enum rep_cfg_transport transport;
    int poll_s;                  /* how often the store is looked at */
    int min_severity;            /* report incidents with severity <= this (1 high .. 4 info) */
    char statuses_json[256];     /* JSON array of statuses, for SQL json_each() */
    char rules_json[2048];       /* JSON array of rule ids; [] = every rule */
    char org_name[128], org_sector[64], org_contact[256];
    char tlp[16];
    int max_indicators, max_events;
    char sign_cert[512], sign_key[512], sign_chain[512];
    struct rep_cfg_peer taxii;   /* url = the discovery URL */
    char api_root[256], collection[128];
    int status_timeout_s;
    struct rep_cfg_peer post;
    int retry_min_s, retry_max_s;      /* backoff for transient failures */
    int refused_retry_s, refused_max;  /* a refusal (401, 403, ...) is retried this often, this many times */
    bool daily;
    int daily_minute;            /* minutes after 00:00 UTC the previous day is summarised */
    char language[8];            /* "vi" or "en": the daily summary's text (stix_build_lang_parse) */
};

/* Add the report.* schema to c. 0 or -1. */
int rep_cfg_add_schema(struct cfg *c);

/* Copy the typed values out of c; returns the number of errors (logged
 * with path and key). */
int rep_cfg_read(const struct cfg *c, const char *path, struct rep_cfg *out);

/* A hash of what decides delivery (transport, URLs, credentials, TLS
 * files): when it changes between runs, refused reports are tried again. */
uint64_t rep_cfg_fingerprint(const struct rep_cfg *c);

#endif
