/* det_private: the structures shared inside sensor/detect only.
 *
 * A rule set lives in one arena (struct det_arena), freed whole; pcre2 codes
 * and Hyperscan databases are the only separately freed objects. A rule is a
 * header (protocol, addresses, ports, direction), packet-level matches
 * (struct det_pmatch, from the keyword table) and one list of buffer
 * matches per inspected buffer (struct det_list, evaluated in order with a
 * cursor, Suricata's content inspection).
 */
#ifndef CANH_DET_PRIVATE_H
#define CANH_DET_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

enum det_err { DET_OK = 0, DET_ERR_NOMEM = -1, DET_ERR_INVAL = -2, DET_ERR_LIMIT = -3,
               DET_ERR_NOENT = -5, DET_ERR_IO = -6, DET_ERR_PARSE = -7 };

/* ---- arena: one per rule-set load ---- */
struct det_arena_blk;
struct det_arena {
    struct det_arena_blk *head;
    size_t used_total;
};
void *det_arena_alloc(struct det_arena *a, size_t n);     /* zeroed, 8-aligned */
char *det_arena_strndup(struct det_arena *a, const char *s, size_t n);
void det_arena_free(struct det_arena *a);

/* ---- lexer: rule text -> header words and options ---- */
#define RULE_MAX_OPTS 256
struct rule_opt {
    const char *name;      /* NUL-terminated, in the lexer's copy */
    const char *value;     /* NULL when the option has no value; unescaped of \; \" \\ */
    bool negated;          /* value started with '!' (kept in value too) */
};
struct rule_lexed {
    char *buf;             /* owned copy the pointers below point into */
    const char *action, *proto, *src, *sp, *dir, *dst, *dp;
    struct rule_opt opts[RULE_MAX_OPTS];
    int nopts;
};
/* Split a rule into its parts. 0, or DET_ERR_PARSE with a reason in err. */
int rule_lex(const char *text, struct rule_lexed *out, char *err, size_t errlen);
void rule_lex_fini(struct rule_lexed *l);

/* ---- address and port sets ---- */
struct det_ipr {          /* an inclusive range, 16 bytes big-endian; v4 in the first 4 */
    uint8_t lo[16], hi[16];
    uint8_t ver;           /* 4 or 6 */
};
struct det_addrs {
    bool any;              /* no include list: everything not excluded */
    uint32_t ninc, nexc;
    struct det_ipr *inc, *exc;
};
struct det_portr { uint16_t lo, hi; };
struct det_ports {
    bool any;
    uint32_t ninc, nexc;
    struct det_portr *inc, *exc;
};
struct rule_vars;          /* name -> text, addresses and ports */
struct rule_vars *rule_vars_new(void);
void rule_vars_free(struct rule_vars *v);
int rule_vars_set(struct rule_vars *v, bool is_port, const char *name, const char *text);
/* Fill the built-in defaults and then the config's vars.* (cfg may be NULL). */
int rule_vars_from_cfg(struct rule_vars *v, const struct cfg *c);
int rule_vars_parse_addrs(const struct rule_vars *v, struct det_arena *a, const char *text,
                          struct det_addrs *out, char *err, size_t errlen);
int rule_vars_parse_ports(const struct rule_vars *v, struct det_arena *a, const char *text,
                          struct det_ports *out, char *err, size_t errlen);
bool rule_vars_addr_match(const struct det_addrs *s, const uint8_t *addr, uint8_t ver);
bool rule_vars_port_match(const struct det_ports *s, uint16_t port);

/* ---- buffer matches ---- */
enum det_sm_type { DET_SM_CONTENT, DET_SM_PCRE, DET_SM_BYTE_TEST, DET_SM_BYTE_JUMP,
                   DET_SM_BYTE_EXTRACT, DET_SM_ISDATAAT, DET_SM_BSIZE };

#define DET_CF_NOCASE     0x0001u
#define DET_CF_NEGATED    0x0002u
#define DET_CF_OFFSET     0x0004u
#define DET_CF_DEPTH      0x0008u
#define DET_CF_DISTANCE   0x0010u
#define DET_CF_WITHIN     0x0020u
#define DET_CF_FAST       0x0040u
#define DET_CF_STARTSWITH 0x0080u
#define DET_CF_ENDSWITH   0x0100u
#define DET_CF_FAST_ONLY  0x0200u
#define DET_CF_RELATIVE   (DET_CF_DISTANCE | DET_CF_WITHIN)

struct det_content {
    uint8_t *pat;
    uint32_t len;
    int32_t offset, depth, distance, within;
    int8_t offset_var, depth_var, distance_var, within_var; /* byte_extract slot or -1 */
    uint16_t fp_off, fp_len;   /* fast_pattern:off,len chop; fp_len 0 = whole */
};

#define DET_PCRE_RELATIVE 0x01u
#define DET_PCRE_NEGATED  0x02u
struct det_pcre {
    void *code;            /* pcre2_code_8 *, freed by det_engine_free */
};

#define DET_BT_RELATIVE  0x0001u
#define DET_BT_LITTLE    0x0002u
#define DET_BT_STRING    0x0004u
#define DET_BT_NEGOP     0x0008u
#define DET_BT_FROM_BEG  0x0010u
#define DET_BT_FROM_END  0x0020u
#define DET_BT_ALIGN     0x0040u
#define DET_BT_BITMASK   0x0080u
#define DET_BT_DCE       0x0100u
struct det_byte {
    uint8_t nbytes, base;   /* base 10/16/8 for string */
    char op;                /* < > = & ^ and 'l' <=, 'g' >= */
    int32_t offset;
    int8_t offset_var, value_var, slot; /* byte_extract slots, -1 when none */
    uint64_t value, bitmask;
    int32_t multiplier, post_offset;
};

struct det_isdataat { int32_t n; bool relative; int8_t var; };
struct det_bsize { char op; uint32_t lo, hi; };  /* op '=', '<', '>', 'r' (lo<>hi) */

struct det_sm {
    uint8_t type;          /* enum det_sm_type */
    uint16_t flags;        /* DET_CF_* / DET_PCRE_* / DET_BT_* */
    union {
        struct det_content c;
        struct det_pcre re;
        struct det_byte b;
        struct det_isdataat d;
        struct det_bsize z;
    } u;
};

/* det_list.dir: the transaction side a list inspects (transactional rules) */
#define DET_LDIR_ANY 0
#define DET_LDIR_TS  1     /* request: inspected on the to-server pass */
#define DET_LDIR_TC  2     /* response */
struct det_list {
    uint8_t buf;           /* enum det_buf */
    uint8_t dir;           /* DET_LDIR_* */
    uint16_t nsm;
    struct det_sm *sm;
};

/* ---- packet-level matches (from the keyword table) ---- */
struct det_rule;
struct det_pctx;           /* what a packet match looks at, see det_eval.c */
typedef bool (*det_pmatch_fn)(const void *data, const struct det_input *in);
struct det_pmatch {
    det_pmatch_fn match;
    const void *data;
};

/* flowbits */
enum det_fb_cmd { DET_FB_SET, DET_FB_UNSET, DET_FB_TOGGLE, DET_FB_ISSET, DET_FB_ISNOTSET };
struct det_fbop {
    uint8_t cmd;
    uint8_t and_op;        /* names joined by & (all) rather than | (any) */
    uint8_t n;
    uint16_t bit[8];
};

/* thresholds */
enum det_thr_type { DET_THR_NONE, DET_THR_LIMIT, DET_THR_THRESHOLD, DET_THR_BOTH, DET_THR_DETECTION };
enum det_thr_track { DET_TRACK_SRC, DET_TRACK_DST, DET_TRACK_RULE, DET_TRACK_BOTH, DET_TRACK_FLOW };
struct det_thr {
    uint8_t type, track;
    uint32_t count, seconds;
};

/* rule->flags */
#define DET_RF_BIDIR       0x0001u
#define DET_RF_NOALERT     0x0002u
#define DET_RF_TO_SERVER   0x0004u
#define DET_RF_TO_CLIENT   0x0008u
#define DET_RF_ESTABLISHED 0x0010u
#define DET_RF_NOT_EST     0x0020u
#define DET_RF_ONLY_STREAM 0x0040u
#define DET_RF_NO_STREAM   0x0080u
#define DET_RF_PKT_ONLY    0x0100u  /* "tcp-pkt" */
#define DET_RF_HAS_FLOW_KW 0x0200u
#define DET_RF_SUPPRESSED  0x0400u  /* suppress without ip in threshold.config */
#define DET_RF_HAS_PAYLOAD 0x0800u  /* a list on DET_BUF_PAYLOAD */
#define DET_RF_HAS_APPBUF  0x1000u  /* a list on an app-layer buffer */
#define DET_RF_HAS_PKT_KW  0x2000u  /* dsize ttl flags itype...: one packet's fields */
#define DET_RF_HAS_ALP     0x4000u  /* app-layer-protocol */
#define DET_RF_PD_ONLY     0x8000u  /* only app-layer-protocol: matches on the packet that
                                     * completed protocol detection (Suricata's PD-only) */
#define DET_RF_TX         0x10000u  /* transactional "=>": request lists on the to-server pass,
                                     * response lists on the to-client pass of the same flow */

/* header protocol */
#define DET_IPP_ANY 0
struct det_rule {
    uint32_t sid, gid, rev;
    uint32_t idx;          /* position in the engine */
    int priority;
    uint8_t action, target;
    uint8_t ipproto;       /* IPPROTO_* or 0 for ip/any */
    uint8_t app;           /* enum det_app or DET_APP_UNKNOWN */
    uint32_t flags;        /* DET_RF_* */
    const char *msg, *category, *metadata;
    const char *file;
    uint32_t line;
    struct det_addrs src, dst;
    struct det_ports sp, dp;
    uint16_t npm, nlist, nfb;
    struct det_pmatch *pm;
    struct det_list *lists;
    struct det_fbop *fb;
    struct det_thr thr;
    struct det_addrs *suppress; /* per-ip suppression from threshold.config, may be NULL */
    uint8_t suppress_track;
    int8_t fp_list;        /* index in lists of the fast pattern, -1: none (always evaluated) */
    int16_t fp_sm;
    uint8_t nvars;         /* byte_extract slots used */
    uint8_t tx_sides;      /* DET_RF_TX: bit (1 << DET_LDIR_TS/TC) per side with lists */
    uint16_t tx_bit;       /* DET_RF_TX: hidden flowbit "the request side matched" */
};

/* ---- keyword table ---- */
struct rule_pctx;          /* parse state, see rule_parse.c */
struct rule_kw {
    const char *name;
    /* arg is the raw value (NULL when none); data is the table's own int */
    int (*setup)(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen);
    uint32_t flags;
    int data;
};
#define RULE_KW_NOARG  0x01u   /* takes no value */
#define RULE_KW_ARG    0x02u   /* value required */
const struct rule_kw *rule_kw_find(const char *name);
/* The per-file tables rule_kw_find() searches (NULL-name terminated). */
extern const struct rule_kw rule_kw_meta_table[];
extern const struct rule_kw rule_kw_content_table[];
extern const struct rule_kw rule_kw_pcre_table[];
extern const struct rule_kw rule_kw_byte_table[];
extern const struct rule_kw rule_kw_flow_table[];
extern const struct rule_kw rule_kw_pkt_table[];

/* Services the keyword setups use (rule_parse.c). */
#define RULE_MAX_VARS 16
struct det_sm *rule_pctx_add_sm(struct rule_pctx *pc, enum det_buf buf, enum det_sm_type type);
/* The most recent sm of that type (any buffer), or NULL; *buf gets its buffer. */
struct det_sm *rule_pctx_last_sm(struct rule_pctx *pc, int type, enum det_buf *buf);
/* The buffer a relative keyword without a sticky buffer attaches to. */
enum det_buf rule_pctx_relative_buf(struct rule_pctx *pc);
/* Move the most recent content to another buffer (old modifier forms). */
int rule_pctx_move_last(struct rule_pctx *pc, enum det_buf to, char *err, size_t errlen);
bool rule_pctx_has_sticky(const struct rule_pctx *pc);
/* "file.data: to_client": the buffer's lists belong to that transaction side. */
void rule_pctx_buf_side(struct rule_pctx *pc, enum det_buf b, bool to_client);
int rule_pctx_add_pm(struct rule_pctx *pc, det_pmatch_fn fn, const void *data);
void rule_pctx_set_sticky(struct rule_pctx *pc, enum det_buf b);
enum det_buf rule_pctx_sticky(const struct rule_pctx *pc);
struct det_rule *rule_pctx_rule(struct rule_pctx *pc);
struct det_arena *rule_pctx_arena(struct rule_pctx *pc);
int rule_pctx_flowbit(struct rule_pctx *pc, const char *name, char *err, size_t errlen);
int rule_pctx_var(struct rule_pctx *pc, const char *name, bool create);
int rule_pctx_add_fbop(struct rule_pctx *pc, const struct det_fbop *op);
const char *rule_pctx_classtype(struct rule_pctx *pc, const char *name, int *prio);
bool rule_pctx_reference_ok(struct rule_pctx *pc, const char *type);

struct rule_parse_env;
struct rule_parse_env *rule_pctx_env(struct rule_pctx *pc);
/* Record a pcre2 code in the load so det_engine_free() frees it. */
int rule_kw_pcre_keep(struct rule_parse_env *env, void *code);

/* Helpers shared by the rule_kw_*.c files (rule_kw.c). */
int rule_kw_parse_u32(const char *s, uint32_t *out);
int rule_kw_parse_i32(const char *s, int32_t *out);
/* Parse "N", "<N", ">N", "<=N", ">=N", "N<>M", "N-M", "!N" into a compare. */
struct det_cmp { char op; uint32_t lo, hi; };   /* op '=' '<' '>' 'l' 'g' 'r' '!' */
int rule_kw_parse_cmp(const char *s, struct det_cmp *out);
bool rule_kw_cmp(const struct det_cmp *c, uint32_t v);
/* "type T, track K, count N, seconds S" (detection_filter: no type). */
int rule_kw_parse_threshold(const char *arg, bool detection_filter, struct det_thr *t, char *err, size_t errlen);
const char *rule_kw_trim(char *s);

/* ---- classification / reference / threshold files ---- */
struct det_class { char *name, *desc; int prio; };
struct det_classes;
struct det_classes *rule_class_load(const char *path, const char *refpath);
void rule_class_free(struct det_classes *c);
const struct det_class *rule_class_find(const struct det_classes *c, const char *name);
bool rule_class_ref_known(const struct det_classes *c, const char *type);

/* ---- the parser ---- */
struct det_flowbit_names;  /* name -> bit, kept across reloads */
struct rule_parse_env {
    const struct rule_vars *vars;
    const struct det_classes *classes;
    struct det_flowbit_names *fbnames;
    struct det_arena *arena;
    void **pcres;          /* every pcre2 code made, for det_engine_free */
    size_t npcres, cappcres;
};
/* Parse one rule. 0 and *out, or a negative error and a reason in err. */
int rule_parse(struct rule_parse_env *env, const char *text, const char *file, uint32_t line,
               struct det_rule **out, char *err, size_t errlen);
/* The sid of a rule text, for error lines (0 when not found). */
uint32_t rule_parse_sid_hint(const char *text);

struct det_flowbit_names *rule_fbnames_new(const struct det_flowbit_names *copy_of);
void rule_fbnames_free(struct det_flowbit_names *n);
int rule_fbnames_get(struct det_flowbit_names *n, const char *name, size_t len);

/* ---- buffers ---- */
struct det_buf_info {
    const char *sticky;    /* "http.uri" */
    const char *alias;     /* other sticky spelling ("http_uri" as a sticky in old rules) */
    const char *modifier;  /* old content modifier ("http_uri"), NULL when none */
    enum det_app app;      /* protocol that fills it, DET_APP_UNKNOWN for payload */
};
extern const struct det_buf_info det_buf_table[DET_BUF_MAX];

/* ---- evaluation (det_eval.c) ---- */
struct det_eval_scratch {
    void *md;              /* pcre2_match_data_8 * */
    int64_t min_end;       /* a list matches only if some match ends past this (stream tail) */
    uint64_t vars[RULE_MAX_VARS];
    uint32_t budget;       /* steps left for this list (recursion limit) */
    uint8_t only_dir;      /* DET_LDIR_TS/TC: evaluate only that side's lists (0: all) */
};
bool det_eval_header(const struct det_rule *r, const struct det_input *in, bool *swapped);
bool det_eval_lists(const struct det_rule *r, const struct det_input *in, struct det_eval_scratch *s,
                    const uint8_t **last_buf, uint32_t *last_len);
/* Flowbit checks (no change) and actions (changes in->flow). */
bool det_eval_flowbits_check(const struct det_rule *r, const struct det_flow *f);
void det_eval_flowbits_apply(const struct det_rule *r, struct det_flow *f);
bool det_eval_list(const struct det_list *l, const uint8_t *buf, uint32_t len, struct det_eval_scratch *s);

/* ---- the engine (det_build.c builds it, det_scan.c reads it) ---- */
#define DET_GRP_TCP 0
#define DET_GRP_UDP 1
#define DET_GRP_OTHER 2
#define DET_GRP_MAX 3
/* Rule classes: which passes run a rule (see det_inspect in detect.h).
 * PKT: packet pass only (no payload, or packet keywords, tcp-pkt, no_stream);
 * STREAM: payload rules, in the stream pass and in packet passes whose
 * payload reaches no stream pass; APP: rules reading app-layer buffers. */
#define DET_CLS_PKT 0
#define DET_CLS_STREAM 1
#define DET_CLS_APP 2
#define DET_CLS_MAX 3
int det_rule_class(const struct det_rule *r);

/* Port groups: a database holds the rules of one (class, buffer, protocol
 * group) that apply to any port (group 0), or the rules whose destination
 * (or source) ports are a short list, one database per distinct set of
 * such rules; port_map sends a port to its group. */
#define DET_PG_ANY 0
struct det_mpm {
    uint8_t cls, buf, grp;
    uint16_t pg;               /* port group (DET_PG_ANY or one of the port maps) */
    void *db;                  /* hs_database_t * */
    uint32_t npat;
    uint32_t *pat_off;         /* pattern id -> rules pat_rules[pat_off[i] .. pat_off[i+1]) */
    uint32_t *pat_rules;
    size_t db_bytes;
};

/* Address prefilter (det_aidx.c). */
struct det_k128 { uint64_t hi, lo; };
struct det_aidx {
    uint32_t n;                /* boundaries; segment s = [bound[s], bound[s+1]) */
    struct det_k128 *bound;
    uint32_t *off;             /* segment s lists ids[off[s] .. off[s+1]) */
    uint32_t *ids;
    uint32_t npairs;
};
/* Addresses of version ver an include list covers. */
double det_aidx_cover(const struct det_addrs *a, uint8_t ver);
/* A side that covers few addresses (a reputation list, not $HOME_NET). */
bool det_aidx_narrow(const struct det_addrs *a);
/* Index rules[ids[i]] by its src (side[i] 0) or dst (1) ranges of version ver. */
int det_aidx_build(struct det_aidx *x, struct det_arena *ar, uint8_t ver, const struct det_rule *const *rules,
                   const uint32_t *ids, const uint8_t *side, uint32_t n);
/* The rules whose indexed ranges may cover addr (borrowed from x). */
void det_aidx_lookup(const struct det_aidx *x, const uint8_t *addr, uint8_t ver, const uint32_t **ids,
                     uint32_t *n);

/* Rules without a fast pattern of one (class, protocol group). */
struct det_nofp {
    uint32_t *always;          /* evaluated on every inspection of the class (ascending) */
    uint32_t nalways;
    struct det_aidx a4, a6;    /* indexed by a narrow source or destination */
};

struct det_engine {
    struct det_arena arena;
    struct det_rule **rules;   /* in evaluation order; rules[i]->idx == i */
    uint32_t nrules;
    void **pcres;
    size_t npcres;
    struct det_flowbit_names *fbnames;
    struct det_classes *classes;
    struct det_mpm *mpm;
    uint32_t nmpm;
    /* index in mpm of the any-port database, or -1 */
    int32_t mpm_of[DET_CLS_MAX][DET_BUF_MAX][DET_GRP_MAX];
    /* payload port groups for TCP and UDP, by destination and by source port:
     * port_map[grp][0=dport,1=sport][class][port] = index in mpm + 1, 0 when none */
    uint16_t *port_map[2][2][DET_CLS_MAX];
    struct det_nofp nofp[DET_CLS_MAX][DET_GRP_MAX];
    uint32_t *tx_rules;                         /* transactional rules (ascending) */
    uint32_t ntx;
    uint64_t buf_used;                          /* bit per enum det_buf some rule reads */
    struct det_load_stats st;
};
/* Build the Hyperscan databases for e's rules (det_build_mpm.c). cache_dir may be NULL. */
int det_mpm_build(struct det_engine *e, const char *cache_dir, struct det_load_stats *st);
void det_mpm_free(struct det_engine *e);

/* threshold.config (det_thresh.c) */
int det_thresh_load(struct det_engine *e, const char *path, const struct rule_vars *vars);
struct det_thresh_table;
struct det_thresh_table *det_thresh_new(uint32_t slots);
void det_thresh_free(struct det_thresh_table *t);
/* true when the alert of r on this packet passes its threshold */
bool det_thresh_check(struct det_thresh_table *t, const struct det_rule *r, const struct det_input *in);

#endif
