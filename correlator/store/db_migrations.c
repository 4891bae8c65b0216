/* db_migrations: the schema as numbered migrations. Migration N brings the
 * file from version N-1 to N inside one transaction; schema_version holds
 * the number applied. Never edit a released migration: append a new one
 * (the portal's suppressions and the TAXII reporting state come that way).
 */
#include "store/db_migrations.h"

#include <stddef.h>

static const char *const db_migrations[] = {
    /* 1: events, sensors, users, tokens, incidents and their parts, audit. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  canh_id TEXT NOT NULL UNIQUE,"          /* sensor:seq, the dedupe key */
    "  sensor TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  ts_us INTEGER,"                          /* event time (EVE timestamp) */
    "  received_us INTEGER NOT NULL,"           /* wall time of the commit */
    "  event_type TEXT,"
    "  src_ip TEXT, dest_ip TEXT,"
    "  sig_id INTEGER, severity INTEGER, flow_id INTEGER,"
    "  raw TEXT NOT NULL);"                     /* the EVE line as received */
    "CREATE INDEX events_ts ON events(ts_us);"
    "CREATE INDEX events_src ON events(src_ip);"
    "CREATE INDEX events_dest ON events(dest_ip);"
    "CREATE INDEX events_sig ON events(sig_id) WHERE sig_id IS NOT NULL;"
    "CREATE INDEX events_flow ON events(flow_id) WHERE flow_id IS NOT NULL;"
    "CREATE TABLE sensors ("
    "  name TEXT PRIMARY KEY,"
    "  created_us INTEGER NOT NULL,"
    "  last_seen_us INTEGER,"
    "  last_seq INTEGER,"
    "  events INTEGER NOT NULL DEFAULT 0,"
    "  stats_us INTEGER,"                       /* event time of the last stats */
    "  packets INTEGER, drops INTEGER,"
    "  pkts_per_s REAL,"
    "  last_stats TEXT);"
    "CREATE TABLE users ("
    "  name TEXT PRIMARY KEY,"
    "  role TEXT NOT NULL CHECK (role IN ('viewer','analyst','responder','admin')),"
    "  created_us INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"              /* SHA-256 of the token */
    "  kind TEXT NOT NULL CHECK (kind IN ('sensor','user')),"
    "  owner TEXT NOT NULL,"                    /* sensor name or user name */
    "  scope TEXT NOT NULL,"                    /* 'ingest' or the user's role */
    "  created_us INTEGER NOT NULL,"
    "  revoked_us INTEGER);"
    "CREATE TABLE incidents ("
    "  id INTEGER PRIMARY KEY,"
    "  rule_id TEXT NOT NULL,"
    "  group_key TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  description TEXT,"
    "  severity INTEGER NOT NULL,"              /* 1 critical/high .. 4 low */
    "  level TEXT,"
    "  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN"
    "    ('new','acknowledged','investigating','resolved','false_positive')),"
    "  assignee TEXT,"
    "  disposition TEXT,"
    "  first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,"
    "  event_count INTEGER NOT NULL DEFAULT 0,"
    "  hits INTEGER NOT NULL DEFAULT 1,"
    "  group_fields TEXT, matched TEXT, tags TEXT);"
    "CREATE INDEX incidents_open ON incidents(rule_id, group_key)"
    "  WHERE status IN ('new','acknowledged','investigating');"
    "CREATE INDEX incidents_last ON incidents(last_us);"
    "CREATE TABLE incident_events ("
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
    "  canh_id TEXT NOT NULL,"
    "  PRIMARY KEY (incident_id, canh_id)) WITHOUT ROWID;"
    "CREATE TABLE incident_sensors ("
    "  incident_id INTEGER NOT NULL, sensor TEXT NOT NULL,"
    "  PRIMARY KEY (incident_id, sensor)) WITHOUT ROWID;"
    "CREATE TABLE incident_entities ("
    "  incident_id INTEGER NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('src','dest')),"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (incident_id, role, value)) WITHOUT ROWID;"
    "CREATE INDEX incident_entities_value ON incident_entities(value);"
    "CREATE TABLE incident_tags ("
    "  incident_id INTEGER NOT NULL, tag TEXT NOT NULL,"
    "  PRIMARY KEY (incident_id, tag)) WITHOUT ROWID;"
    "CREATE TABLE comments ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
    "  author TEXT NOT NULL, body TEXT NOT NULL, created_us INTEGER NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at_us INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"                    /* user name or 'system' */
    "  action TEXT NOT NULL,"
    "  incident_id INTEGER,"
    "  detail TEXT);"                           /* JSON object */
    "CREATE INDEX audit_incident ON audit(incident_id);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER);",
    /* 2: the reporting outbox (correlator/report/rep_outbox.c): one row per
     * version of a report (subject "incident:<id>" or "daily:<day>"). */
    "CREATE TABLE report_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  subject TEXT NOT NULL,"
    "  incident_id INTEGER,"                    /* NULL for daily reports */
    "  version_us INTEGER NOT NULL,"            /* the incident's updated time */
    "  state TEXT NOT NULL CHECK (state IN ('pending','sent','failed','superseded')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_us INTEGER,"                        /* next attempt; NULL: none planned */
    "  created_us INTEGER NOT NULL,"
    "  sent_us INTEGER,"
    "  reason TEXT,"                            /* why the last attempt failed */
    "  transport TEXT,"                         /* taxii or post, once sent */
    "  bundle TEXT NOT NULL,"                   /* the signed bytes */
    "  signature TEXT,"                         /* detached CMS, PEM */
    "  UNIQUE (subject, version_us));"
    "CREATE INDEX report_outbox_due ON report_outbox(next_us) WHERE next_us IS NOT NULL;"
    "CREATE INDEX report_outbox_incident ON report_outbox(incident_id, version_us);",
    /* 3: the analyst portal (correlator/portal/, store/db_portal.c, db_sup.c):
     * passwords (Argon2id strings) and preferences of users, browser
     * sessions (SHA-256 of the cookie), login failures for the lockout,
     * suppressions, and the Vietnamese title of incidents. */
    "ALTER TABLE users ADD COLUMN pw_hash TEXT;"
    "ALTER TABLE users ADD COLUMN lang TEXT;"
    "ALTER TABLE users ADD COLUMN tz TEXT;"
    "ALTER TABLE incidents ADD COLUMN title_vi TEXT;"
    "CREATE INDEX incidents_updated ON incidents(updated_us);"
    "CREATE TABLE sessions ("
    "  hash BLOB PRIMARY KEY,"                  /* SHA-256 of the cookie value */
    "  user TEXT NOT NULL,"
    "  csrf TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  last_us INTEGER NOT NULL,"               /* last use (idle timeout) */
    "  peer TEXT);"
    "CREATE TABLE login_failures ("
    "  key TEXT NOT NULL,"                      /* 'user:NAME' or 'addr:IP' */
    "  at_us INTEGER NOT NULL);"
    "CREATE INDEX login_failures_key ON login_failures(key, at_us);"
    "CREATE TABLE suppressions ("
    "  id INTEGER PRIMARY KEY,"
    "  rule_id TEXT, address TEXT,"             /* at least one of them */
    "  reason TEXT NOT NULL,"
    "  expires_us INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  incident_id INTEGER,"                    /* suppressed from this incident */
    "  hits INTEGER NOT NULL DEFAULT 0,"        /* hits folded so far */
    "  last_hit_us INTEGER,"
    "  CHECK (rule_id IS NOT NULL OR address IS NOT NULL));",
    /* 4: shipping to Elasticsearch/OpenSearch (ship/ship_outbox.c,
     * store/db_outbox.c). Events need no table (a cursor on events.id in
     * state). Every incident change writes a snapshot of the row, keyed by
     * (incident, updated time), in the same transaction, while shipping is
     * on (state key es_incidents_seeded); rows go once delivered. Documents
     * refused for good stay in es_rejected with the reason. */
    "CREATE TABLE es_incident_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER NOT NULL,"
    "  version_us INTEGER NOT NULL,"            /* incidents.updated_us */
    "  doc TEXT NOT NULL,"                      /* JSON snapshot of the row */
    "  UNIQUE (incident_id, version_us));"
    "CREATE TABLE es_rejected ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('event','incident')),"
    "  doc_id TEXT NOT NULL UNIQUE,"            /* canh.id or <incident>:<version> */
    "  index_name TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"                   /* '<status> <type>: <reason>' */
    "  at_us INTEGER NOT NULL);"
    "CREATE TRIGGER es_incident_opened AFTER INSERT ON incidents"
    "  WHEN EXISTS (SELECT 1 FROM state WHERE key = 'es_incidents_seeded') BEGIN"
    "  INSERT OR REPLACE INTO es_incident_outbox (incident_id, version_us, doc)"
    "  VALUES (NEW.id, NEW.updated_us, json_object('rule_id', NEW.rule_id,"
    "  'title', NEW.title, 'description', NEW.description, 'severity', NEW.severity,"
    "  'level', NEW.level, 'status', NEW.status, 'assignee', NEW.assignee,"
    "  'disposition', NEW.disposition, 'group_key', NEW.group_key,"
    "  'group_fields', NEW.group_fields, 'first_us', NEW.first_us, 'last_us', NEW.last_us,"
    "  'created_us', NEW.created_us, 'updated_us', NEW.updated_us,"
    "  'event_count', NEW.event_count, 'hits', NEW.hits)); END;"
    "CREATE TRIGGER es_incident_changed AFTER UPDATE ON incidents"
    "  WHEN EXISTS (SELECT 1 FROM state WHERE key = 'es_incidents_seeded') BEGIN"
    "  INSERT OR REPLACE INTO es_incident_outbox (incident_id, version_us, doc)"
    "  VALUES (NEW.id, NEW.updated_us, json_object('rule_id', NEW.rule_id,"
    "  'title', NEW.title, 'description', NEW.description, 'severity', NEW.severity,"
    "  'level', NEW.level, 'status', NEW.status, 'assignee', NEW.assignee,"
    "  'disposition', NEW.disposition, 'group_key', NEW.group_key,"
    "  'group_fields', NEW.group_fields, 'first_us', NEW.first_us, 'last_us', NEW.last_us,"
    "  'created_us', NEW.created_us, 'updated_us', NEW.updated_us,"
    "  'event_count', NEW.event_count, 'hits', NEW.hits)); END;",
    /* 5: the Vietnamese description of an incident's rule (Sigma rules'
     * canh.description_vi, issue 10), beside title_vi of migration 3. */
    "ALTER TABLE incidents ADD COLUMN description_vi TEXT;",
    /* 6: ingest speed (issue 5). The address and flow_id indexes lead with
     * blk, the block of 16384 rowids a row belongs to (a virtual column:
     * nothing stored in the row). A batch's rows then go into the newest
     * block's end of these indexes instead of all over them: the pages a
     * commit dirties no longer grow with the table (random keys such as
     * addresses cost ~4 us per event at 200k rows and more beyond). A search
     * by address or flow seeks once per block (db_event_search). */
    "ALTER TABLE events ADD COLUMN blk INTEGER GENERATED ALWAYS AS (id >> 14) VIRTUAL;"
    "DROP INDEX events_src;"
    "DROP INDEX events_dest;"
    "DROP INDEX events_flow;"
    "CREATE INDEX events_blk_src ON events(blk, src_ip) WHERE src_ip IS NOT NULL;"
    "CREATE INDEX events_blk_dest ON events(blk, dest_ip) WHERE dest_ip IS NOT NULL;"
    "CREATE INDEX events_blk_flow ON events(blk, flow_id) WHERE flow_id IS NOT NULL;",
};

int db_migrations_count(void)
{
    return (int)(sizeof db_migrations / sizeof db_migrations[0]);
}

const char *db_migrations_get(int version)
{
    if (version < 1 || version > db_migrations_count())
        return NULL;
    return db_migrations[version - 1];
}
