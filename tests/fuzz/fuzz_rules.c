/* fuzz_rules: the rule parser (sensor/detect rule_lex/rule_vars/rule_parse
 * and every keyword setup) on arbitrary text, then the parsed rule's buffer
 * lists evaluated against the same bytes, so content/pcre/byte_* inspection
 * is fuzzed with hostile offsets and lengths. No engine start-up.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rule_vars *vars;
    if (vars == NULL) {
        vars = rule_vars_new();
        rule_vars_from_cfg(vars, NULL);
    }
    if (size > 8192)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct det_arena arena = { 0 };
    struct rule_parse_env env = { .vars = vars, .arena = &arena };
    env.fbnames = rule_fbnames_new(NULL);
    struct det_rule *r = NULL;
    char err[256];
    if (env.fbnames != NULL && rule_parse(&env, text, "fuzz", 1, &r, err, sizeof(err)) == 0) {
        struct det_eval_scratch s = { 0 };
        s.md = pcre2_match_data_create(32, NULL);
        for (uint16_t k = 0; k < r->nlist && s.md != NULL; k++)
            (void)det_eval_list(&r->lists[k], data, (uint32_t)size, &s);
        pcre2_match_data_free(s.md);
    }
    for (size_t i = 0; i < env.npcres; i++)
        pcre2_code_free(env.pcres[i]);
    free(env.pcres);
    rule_fbnames_free(env.fbnames);
    det_arena_free(&arena);
    free(text);
    return 0;
}
