/* stix_build: STIX 2.1 bundles from the store's JSON of an incident (as
 * db_incident_get returns it, with its events) and of a day's summary.
 *
 * An incident becomes: the reporting organisation (identity), one identity
 * per sensor (identity_class "system"), the TLP marking-definition, the
 * incident (name, description, ATT&CK kill-chain phases and references, and
 * Canh's severity/status/times as x_canh_* properties), indicators with
 * STIX patterns for attacking addresses, domains and file hashes, the SCOs
 * the sensors saw in one observed-data, a sighting per indicator, malware
 * for YARA rules that name one, and relationships between them.
 * Every id is deterministic (stix_id.h): SDOs share `created` = the
 * incident's creation and `modified` = its update time, so a new incident
 * version is a new object version. Pure: no I/O, no clock.
 */
#ifndef CANH_STIX_BUILD_H
#define CANH_STIX_BUILD_H

#include <jansson.h>

enum stix_tlp { STIX_TLP_WHITE, STIX_TLP_GREEN, STIX_TLP_AMBER, STIX_TLP_RED };

/* The language of human-readable text (report.language; vi is the default,
 * so a zeroed opts struct writes Vietnamese). */
enum stix_lang { STIX_LANG_VI, STIX_LANG_EN };

struct stix_build_opts {
    const char *org_name;     /* identity name of the reporting organisation */
    const char *org_sector;   /* a STIX industry-sector-ov value, or NULL */
    const char *org_contact;  /* contact_information, or NULL */
    enum stix_tlp tlp;
    int max_indicators;       /* cap of indicators per bundle (addresses+domains+hashes) */
    enum stix_lang lang;      /* language of the daily summary's name and description */
};

/* "white" "green" "amber" "red" -> *out. 0 or -1. */
int stix_build_tlp_parse(const char *s, enum stix_tlp *out);
/* The standard TLP 1.0 marking-definition id of t (STIX 2.1 section 7.2.1.4). */
const char *stix_build_tlp_id(enum stix_tlp t);

/* A bundle (new reference) for one incident, or NULL when the incident JSON
 * lacks id/title/created/updated. incident is borrowed. */
json_t *stix_build_incident(const json_t *incident, const struct stix_build_opts *o);

/* "vi" or "en" -> *out. 0 or -1. */
int stix_build_lang_parse(const char *s, enum stix_lang *out);

/* A daily summary `report` (new reference). summary is borrowed:
 *   {"day": "YYYY-MM-DD", "generated": RFC 3339, "total": n,
 *    "by_severity": {..}, "by_rule": {..}, "by_sensor": {..},
 *    "rule_titles": {rule_id: {"en": .., "vi": ..}} (optional),
 *    "incidents": [incident ids to reference]}
 * Its name and description are in o->lang (rule titles in Vietnamese from
 * title_vi, falling back to the English title, then the rule id), and the
 * report carries the STIX `lang` property.                              */
json_t *stix_build_daily(const json_t *summary, const struct stix_build_opts *o);

/* The TAXII 2.1 envelope {"objects": [...]} of a bundle (new reference). */
json_t *stix_build_envelope(const json_t *bundle);

#endif
