/* fscan_ytext: YARA rule sources as text (see fscan_ytext.c). Used by
 * fscan_yara at load time only; every function here is plain C on the
 * source bytes, no libyara.
 */
#ifndef CANH_FSCAN_YTEXT_H
#define CANH_FSCAN_YTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Rule files taken from the paths given (directories expanded). */
#define FSCAN_YTEXT_MAX_FILES 4096

/* One rule of a source text: its bytes [start, end], from its modifiers
 * (private, global) to its closing brace, and its lines. */
struct fscan_ytext_block {
    size_t start, end;
    int line0, line1;
    bool global;              /* a global rule: its condition gates the namespace */
    char name[128];
};

/* The rule blocks of s[0..n). Returns how many there are; at most max are
 * written to b (b may be NULL to count them). */
int fscan_ytext_blocks(const char *s, size_t n, struct fscan_ytext_block *b, int max);

/* A whole file, NUL-terminated (malloc'd; *len without the NUL). NULL when
 * it cannot be read. */
char *fscan_ytext_read(const char *path, size_t *len);

/* A source with its includes expanded in place (a relative path is taken
 * from the including file's directory, as YARA does) and its `import`
 * statements left out; the module names are added to mods ("pe, math",
 * each once, cut at modcap). text: the source of path (NULL: read it).
 * Returns the new text (malloc'd), or NULL when a file cannot be read,
 * includes nest deeper than YARA allows, or no memory. */
char *fscan_ytext_flatten(const char *path, const char *text, char *mods, size_t modcap);

/* Append path to out[*n], or, for a directory, its .yar/.yara files
 * (recursively, sorted; depth: 0 at the top), up to FSCAN_YTEXT_MAX_FILES.
 * The entries are malloc'd. */
void fscan_ytext_expand(const char *path, char **out, size_t *n, int depth);

#endif
