/* file_track: per-worker file objects fed by body chunks (see file_track.h).
 * Slots and their three EVP digest contexts are made once in
 * file_track_new(); a free list hands them out. Content is grown by
 * doubling (from FILE_TRACK_FIRST_CHUNK) against the shared memcap.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "filescan/file_track.h"
#include "log.h"

#define FILE_TRACK_FIRST_CHUNK (16 * 1024)

struct file_memcap {
    uint64_t cap;
    _Atomic uint64_t used;
};

struct file_obj {
    struct file_info fi;
    EVP_MD_CTX *md5, *sha1, *sha256;
    bool in_use, hash_ok, keep;
    struct file_obj *next_free;
};

struct file_tracker {
    struct file_track_cfg cfg;
    struct file_memcap *mem;
    struct file_obj *slots;
    struct file_obj *free_list;
    uint32_t open;
    struct file_track_stats st;
};

struct file_memcap *file_memcap_new(uint64_t cap)
{
    struct file_memcap *m = calloc(1, sizeof(*m));

    if (m != NULL) {
        m->cap = cap;
        atomic_init(&m->used, 0);
    }
    return m;
}

void file_memcap_free(struct file_memcap *m)
{
    free(m);
}

uint64_t file_memcap_used(const struct file_memcap *m)
{
    return atomic_load(&((struct file_memcap *)m)->used);
}

bool file_memcap_take(struct file_memcap *m, uint64_t n)
{
    uint64_t cur = atomic_load(&m->used);

    do {
        if (cur + n > m->cap)
            return false;
    } while (!atomic_compare_exchange_weak(&m->used, &cur, cur + n));
    return true;
}

void file_memcap_release(struct file_memcap *m, uint64_t n)
{
    if (m != NULL && n > 0)
        atomic_fetch_sub(&m->used, n);
}

struct file_tracker *file_track_new(const struct file_track_cfg *cfg, struct file_memcap *mem)
{
    struct file_tracker *t;

    if (cfg->max_file_size == 0 || cfg->max_open == 0 || mem == NULL) {
        log_error("files", "max-file-size and max-open-files must be above 0");
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->cfg = *cfg;
    t->cfg.hashes |= FILE_HASH_SHA256;
    t->mem = mem;
    t->slots = calloc(cfg->max_open, sizeof(*t->slots));
    if (t->slots == NULL)
        goto fail;
    for (uint32_t i = cfg->max_open; i-- > 0;) {
        struct file_obj *fo = &t->slots[i];
        fo->md5 = (t->cfg.hashes & FILE_HASH_MD5) ? EVP_MD_CTX_new() : NULL;
        fo->sha1 = (t->cfg.hashes & FILE_HASH_SHA1) ? EVP_MD_CTX_new() : NULL;
        fo->sha256 = EVP_MD_CTX_new();
        if (fo->sha256 == NULL || ((t->cfg.hashes & FILE_HASH_MD5) && fo->md5 == NULL) ||
            ((t->cfg.hashes & FILE_HASH_SHA1) && fo->sha1 == NULL))
            goto fail;
        fo->next_free = t->free_list;
        t->free_list = fo;
    }
    return t;
fail:
    log_error("files", "cannot allocate %u file slots (lower files.max-open-files)", cfg->max_open);
    file_track_free(t);
    return NULL;
}

void file_track_free(struct file_tracker *t)
{
    if (t == NULL)
        return;
    for (uint32_t i = 0; t->slots != NULL && i < t->cfg.max_open; i++) {
        struct file_obj *fo = &t->slots[i];
        if (fo->in_use)
            file_info_fini(&fo->fi, t->mem);
        EVP_MD_CTX_free(fo->md5);
        EVP_MD_CTX_free(fo->sha1);
        EVP_MD_CTX_free(fo->sha256);
    }
    free(t->slots);
    free(t);
}

const struct file_track_stats *file_track_stats(const struct file_tracker *t)
{
    return &t->st;
}

uint32_t file_track_open_count(const struct file_tracker *t)
{
    return t->open;
}

struct file_obj *file_track_open(struct file_tracker *t, uint64_t tx_id, int dir,
                                 const char *name, size_t name_len)
{
    struct file_obj *fo = t->free_list;

    if (fo == NULL) {
        t->st.open_fail++;
        return NULL;
    }
    t->free_list = fo->next_free;
    t->open++;
    t->st.opened++;
    memset(&fo->fi, 0, sizeof(fo->fi));
    fo->in_use = true;
    fo->keep = t->cfg.keep_content;
    fo->fi.tx_id = tx_id;
    fo->fi.dir = dir;
    fo->fi.state = FILE_STATE_OPEN;
    if (name != NULL) {
        fo->fi.name_len = name_len < FILE_NAME_MAX - 1 ? name_len : FILE_NAME_MAX - 1;
        memcpy(fo->fi.name, name, fo->fi.name_len);
    }
    fo->hash_ok = (fo->md5 == NULL || EVP_DigestInit_ex(fo->md5, EVP_md5(), NULL) == 1) &&
                  (fo->sha1 == NULL || EVP_DigestInit_ex(fo->sha1, EVP_sha1(), NULL) == 1) &&
                  EVP_DigestInit_ex(fo->sha256, EVP_sha256(), NULL) == 1;
    return fo;
}

static void file_track_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (src == NULL)
        n = 0;
    if (n > cap - 1)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void file_track_set_http(struct file_obj *fo, const char *url, size_t url_len, const char *host,
                         size_t host_len)
{
    if (fo == NULL)
        return;
    file_track_copy(fo->fi.url, sizeof(fo->fi.url), url, url_len);
    file_track_copy(fo->fi.host, sizeof(fo->fi.host), host, host_len);
}

/* Make room for `need` more bytes of content; false drops the content. */
static bool file_track_grow(struct file_tracker *t, struct file_obj *fo, size_t need)
{
    struct file_info *fi = &fo->fi;
    size_t want = fi->data_len + need, cap = fi->data_cap;
    uint8_t *nd;

    if (want <= cap)
        return true;
    if (cap == 0)
        cap = FILE_TRACK_FIRST_CHUNK;
    while (cap < want)
        cap *= 2;
    if (cap > t->cfg.max_file_size)
        cap = (size_t)t->cfg.max_file_size;
    if (!file_memcap_take(t->mem, cap - fi->data_cap))
        return false;
    nd = realloc(fi->data, cap);
    if (nd == NULL) {
        file_memcap_release(t->mem, cap - fi->data_cap);
        return false;
    }
    fi->data = nd;
    fi->data_cap = cap;
    return true;
}

static void file_track_drop_content(struct file_tracker *t, struct file_obj *fo)
{
    file_memcap_release(t->mem, fo->fi.data_cap);
    free(fo->fi.data);
    fo->fi.data = NULL;
    fo->fi.data_len = fo->fi.data_cap = 0;
    fo->keep = false;
    t->st.memcap_drops++;
}

void file_track_append(struct file_tracker *t, struct file_obj *fo, const uint8_t *data,
                       size_t len)
{
    struct file_info *fi;
    size_t take = len;

    if (fo == NULL || len == 0)
        return;
    fi = &fo->fi;
    t->st.bytes += len;
    if (fi->size >= t->cfg.max_file_size)
        take = 0;
    else if (fi->size + len > t->cfg.max_file_size)
        take = (size_t)(t->cfg.max_file_size - fi->size);
    if (take < len)
        fi->state = FILE_STATE_TRUNCATED;
    if (fi->head_len < FILE_HEAD_MAX && take > 0) {
        size_t h = FILE_HEAD_MAX - fi->head_len < take ? FILE_HEAD_MAX - fi->head_len : take;
        memcpy(fi->head + fi->head_len, data, h);
        fi->head_len += h;
    }
    if (take > 0 && fo->hash_ok)
        fo->hash_ok = (fo->md5 == NULL || EVP_DigestUpdate(fo->md5, data, take) == 1) &&
                      (fo->sha1 == NULL || EVP_DigestUpdate(fo->sha1, data, take) == 1) &&
                      EVP_DigestUpdate(fo->sha256, data, take) == 1;
    if (take > 0 && fo->keep) {
        if (file_track_grow(t, fo, take)) {
            memcpy(fi->data + fi->data_len, data, take);
            fi->data_len += take;
        } else {
            file_track_drop_content(t, fo);
        }
    }
    fi->size += len;
}

void file_track_close(struct file_tracker *t, struct file_obj *fo, bool truncated,
                      struct file_info *out)
{
    struct file_info *fi = &fo->fi;
    unsigned n;

    if (truncated)
        fi->state = FILE_STATE_TRUNCATED;
    else if (fi->state == FILE_STATE_OPEN)
        fi->state = FILE_STATE_CLOSED;
    fi->hashed = fo->hash_ok && fi->state == FILE_STATE_CLOSED &&
                 (fo->md5 == NULL || EVP_DigestFinal_ex(fo->md5, fi->md5, &n) == 1) &&
                 (fo->sha1 == NULL || EVP_DigestFinal_ex(fo->sha1, fi->sha1, &n) == 1) &&
                 EVP_DigestFinal_ex(fo->sha256, fi->sha256, &n) == 1;
    fi->hashes = fi->hashed ? (uint8_t)t->cfg.hashes : 0;
    fi->data_complete = fo->keep && fi->data_len == fi->size;
    if (fi->state == FILE_STATE_TRUNCATED)
        t->st.truncated++;
    else
        t->st.closed++;
    *out = *fi;
    fi->data = NULL;
    fi->data_len = fi->data_cap = 0;
    fo->in_use = false;
    fo->next_free = t->free_list;
    t->free_list = fo;
    t->open--;
}

void file_info_fini(struct file_info *fi, struct file_memcap *mem)
{
    if (fi == NULL)
        return;
    file_memcap_release(mem, fi->data_cap);
    free(fi->data);
    fi->data = NULL;
    fi->data_len = fi->data_cap = 0;
}

void file_hex(const uint8_t *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

const char *file_state_name(enum file_state s)
{
    switch (s) {
    case FILE_STATE_OPEN: return "OPEN";
    case FILE_STATE_CLOSED: return "CLOSED";
    case FILE_STATE_TRUNCATED: return "TRUNCATED";
    case FILE_STATE_ERROR: return "ERROR";
    }
    return "UNKNOWN";
}
