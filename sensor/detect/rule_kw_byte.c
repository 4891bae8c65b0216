/* rule_kw_byte: byte_test, byte_jump and byte_extract. Values are read as
 * 1..8 raw bytes (big or little endian) or as decimal/hex/octal text
 * (string); byte_extract stores into one of RULE_MAX_VARS per-rule slots
 * that later offsets, depths or byte_test values can name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

#define BYTE_MAX_PARTS 16

static int split(char *s, char **parts)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t != NULL && n < BYTE_MAX_PARTS; t = strtok_r(NULL, ",", &save))
        parts[n++] = (char *)rule_kw_trim(t);
    return n;
}

/* number or variable */
static int numvar(struct rule_pctx *pc, const char *s, int32_t *v, int8_t *var)
{
    *var = -1;
    if (rule_kw_parse_i32(s, v) == 0)
        return 0;
    int slot = rule_pctx_var(pc, s, false);
    if (slot < 0)
        return -1;
    *var = (int8_t)slot;
    *v = 0;
    return 0;
}

/* Common trailing options; returns 0, or -1 with err set. i = first option index. */
static int byte_opts(struct det_byte *b, uint16_t *flags, char **p, int i, int n, bool jump,
                     char *err, size_t errlen)
{
    for (; i < n; i++) {
        const char *o = p[i];
        if (strcmp(o, "relative") == 0) {
            *flags |= DET_BT_RELATIVE;
        } else if (strcmp(o, "big") == 0) {
            *flags &= (uint16_t)~DET_BT_LITTLE;
        } else if (strcmp(o, "little") == 0) {
            *flags |= DET_BT_LITTLE;
        } else if (strcmp(o, "string") == 0) {
            *flags |= DET_BT_STRING;
            if (b->base == 0)
                b->base = 10;
        } else if (strcmp(o, "hex") == 0) {
            b->base = 16;
        } else if (strcmp(o, "dec") == 0) {
            b->base = 10;
        } else if (strcmp(o, "oct") == 0) {
            b->base = 8;
        } else if (strcmp(o, "dce") == 0) {
            *flags |= DET_BT_DCE | DET_BT_LITTLE;
        } else if (jump && strcmp(o, "align") == 0) {
            *flags |= DET_BT_ALIGN;
        } else if (jump && strcmp(o, "from_beginning") == 0) {
            *flags |= DET_BT_FROM_BEG;
        } else if (jump && strcmp(o, "from_end") == 0) {
            *flags |= DET_BT_FROM_END;
        } else if (strncmp(o, "multiplier", 10) == 0) {
            if (rule_kw_parse_i32(o + 10, &b->multiplier) != 0 || b->multiplier <= 0) {
                snprintf(err, errlen, "bad multiplier");
                return -1;
            }
        } else if (strncmp(o, "post_offset", 11) == 0) {
            if (rule_kw_parse_i32(o + 11, &b->post_offset) != 0) {
                snprintf(err, errlen, "bad post_offset");
                return -1;
            }
        } else if (strncmp(o, "bitmask", 7) == 0) {
            char *end;
            b->bitmask = strtoull(o + 7, &end, 0);
            if (b->bitmask == 0) {
                snprintf(err, errlen, "bad bitmask");
                return -1;
            }
            *flags |= DET_BT_BITMASK;
        } else if (strncmp(o, "align", 5) == 0) { /* byte_extract align N */
            *flags |= DET_BT_ALIGN;
        } else {
            snprintf(err, errlen, "unknown option \"%.24s\"", o);
            return -1;
        }
    }
    if ((*flags & DET_BT_STRING) == 0 && (b->nbytes == 0 || b->nbytes > 8)) {
        snprintf(err, errlen, "byte count must be 1..8 (or up to 10 with string)");
        return -1;
    }
    /* 0 with string is accepted as Suricata does; it reads no digits and never matches */
    if ((*flags & DET_BT_STRING) && b->nbytes > 23) {
        snprintf(err, errlen, "string byte count must be 0..23");
        return -1;
    }
    return 0;
}

static int kw_byte(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    char buf[256];
    char *p[BYTE_MAX_PARTS];
    if (strlen(arg) >= sizeof(buf)) {
        snprintf(err, errlen, "value too long");
        return DET_ERR_PARSE;
    }
    strcpy(buf, arg);
    int n = split(buf, p);
    struct det_byte b = { 0 };
    uint16_t flags = 0;
    b.offset_var = b.value_var = b.slot = -1;
    b.multiplier = 1;
    uint32_t nb;
    int first_opt;
    int type = kw->data;
    if (n < (type == DET_SM_BYTE_TEST ? 4 : type == DET_SM_BYTE_JUMP ? 2 : 3) ||
        rule_kw_parse_u32(p[0], &nb) != 0 || nb > 255) {
        snprintf(err, errlen, "too few values or a bad byte count");
        return DET_ERR_PARSE;
    }
    b.nbytes = (uint8_t)nb;
    if (type == DET_SM_BYTE_TEST) {
        const char *op = p[1];
        if (*op == '!') {
            flags |= DET_BT_NEGOP;
            op++;
        }
        if (strcmp(op, "<=") == 0) b.op = 'l';
        else if (strcmp(op, ">=") == 0) b.op = 'g';
        else if (strlen(op) == 1 && strchr("<>=&^", op[0]) != NULL) b.op = op[0];
        else {
            snprintf(err, errlen, "bad operator \"%.8s\"", p[1]);
            return DET_ERR_PARSE;
        }
        int32_t v32;
        char *end;
        unsigned long long v = strtoull(p[2], &end, 0);
        if (*end == '\0' && end != p[2]) {
            b.value = v;
        } else if (numvar(pc, p[2], &v32, &b.value_var) != 0) {
            snprintf(err, errlen, "bad value \"%.24s\"", p[2]);
            return DET_ERR_PARSE;
        }
        if (numvar(pc, p[3], &b.offset, &b.offset_var) != 0) {
            snprintf(err, errlen, "bad offset \"%.24s\"", p[3]);
            return DET_ERR_PARSE;
        }
        first_opt = 4;
    } else {
        if (numvar(pc, p[1], &b.offset, &b.offset_var) != 0) {
            snprintf(err, errlen, "bad offset \"%.24s\"", p[1]);
            return DET_ERR_PARSE;
        }
        first_opt = 2;
        if (type == DET_SM_BYTE_EXTRACT) {
            int slot = rule_pctx_var(pc, p[2], true);
            if (slot < 0) {
                snprintf(err, errlen, "too many variables or name too long");
                return DET_ERR_LIMIT;
            }
            b.slot = (int8_t)slot;
            first_opt = 3;
        }
    }
    if (byte_opts(&b, &flags, p, first_opt, n, type == DET_SM_BYTE_JUMP, err, errlen) != 0)
        return DET_ERR_PARSE;
    enum det_buf buf_id = (flags & DET_BT_RELATIVE) ? rule_pctx_relative_buf(pc) : rule_pctx_sticky(pc);
    struct det_sm *sm = rule_pctx_add_sm(pc, buf_id, (enum det_sm_type)type);
    if (sm == NULL)
        return DET_ERR_LIMIT;
    sm->flags = flags;
    sm->u.b = b;
    return 0;
}

const struct rule_kw rule_kw_byte_table[] = {
    { "byte_test", kw_byte, RULE_KW_ARG, DET_SM_BYTE_TEST },
    { "byte_jump", kw_byte, RULE_KW_ARG, DET_SM_BYTE_JUMP },
    { "byte_extract", kw_byte, RULE_KW_ARG, DET_SM_BYTE_EXTRACT },
    { NULL, NULL, 0, 0 },
};
