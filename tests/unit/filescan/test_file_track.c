/* Unit tests of sensor/filescan/file_track.c: incremental hashes against
 * one-shot OpenSSL digests, chunking, the per-file limit, the shared memcap
 * and slot exhaustion. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "filescan/file_track.h"
#include "../runner.h"

static void digest(const EVP_MD *md, const uint8_t *d, size_t n, uint8_t *out)
{
    unsigned l;
    EVP_Digest(d, n, out, &l, md, NULL);
}

static uint8_t *pattern(size_t n)
{
    uint8_t *b = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    return b;
}

static struct file_tracker *tracker(uint64_t max, uint32_t nopen, struct file_memcap *m)
{
    struct file_track_cfg c = { .max_file_size = max, .max_open = nopen,
                                .hashes = FILE_HASH_MD5 | FILE_HASH_SHA1, .keep_content = true };
    return file_track_new(&c, m);
}

/* With no consumer of the bytes (no YARA, no store) and no md5/sha1 asked
 * for: sha256 only, nothing kept, nothing taken from the memcap. */
TEST(sha256_only_without_content)
{
    struct file_memcap *m = file_memcap_new(1 << 24);
    struct file_track_cfg cfg = { .max_file_size = 1 << 20, .max_open = 2 };
    struct file_tracker *t = file_track_new(&cfg, m);
    size_t n = 50000;
    uint8_t *b = pattern(n), sha256[32], zero[20] = { 0 };
    struct file_info a;

    digest(EVP_sha256(), b, n, sha256);
    struct file_obj *fo = file_track_open(t, 1, 1, NULL, 0);
    for (size_t i = 0; i < n; i += 1000)
        file_track_append(t, fo, b + i, 1000);
    CHECK_EQ_INT(file_memcap_used(m), 0);
    file_track_close(t, fo, false, &a);
    CHECK(a.hashed);
    CHECK_EQ_INT(a.hashes, FILE_HASH_SHA256);
    CHECK(memcmp(a.sha256, sha256, 32) == 0);
    CHECK(memcmp(a.md5, zero, 16) == 0 && memcmp(a.sha1, zero, 20) == 0);
    CHECK(a.data == NULL && !a.data_complete);
    CHECK_EQ_INT(a.size, n);
    CHECK_EQ_INT(a.head_len, FILE_HEAD_MAX);   /* the head is kept for libmagic */
    file_info_fini(&a, m);
    file_track_free(t);
    file_memcap_free(m);
    free(b);
}

/* The same bytes in one chunk and in one-byte segments give the same digests,
 * equal to OpenSSL's one-shot digests, and the content is kept whole. */
TEST(hashes_match_one_shot_in_any_chunking)
{
    struct file_memcap *m = file_memcap_new(1 << 24);
    struct file_tracker *t = tracker(1 << 20, 4, m);
    size_t n = 100000;
    uint8_t *b = pattern(n), md5[16], sha1[20], sha256[32];
    struct file_info a, c;

    digest(EVP_md5(), b, n, md5);
    digest(EVP_sha1(), b, n, sha1);
    digest(EVP_sha256(), b, n, sha256);
    struct file_obj *fo = file_track_open(t, 3, 1, "x.bin", 5);
    file_track_append(t, fo, b, n);
    file_track_close(t, fo, false, &a);
    fo = file_track_open(t, 4, 1, NULL, 0);
    for (size_t i = 0; i < n; i += 7)
        file_track_append(t, fo, b + i, n - i < 7 ? n - i : 7);
    file_track_close(t, fo, false, &c);
    CHECK(a.hashed && c.hashed);
    CHECK(memcmp(a.md5, md5, 16) == 0 && memcmp(c.md5, md5, 16) == 0);
    CHECK(memcmp(a.sha1, sha1, 20) == 0 && memcmp(c.sha1, sha1, 20) == 0);
    CHECK(memcmp(a.sha256, sha256, 32) == 0 && memcmp(c.sha256, sha256, 32) == 0);
    CHECK_EQ_INT(a.size, n);
    CHECK_EQ_INT(c.data_len, n);
    CHECK(c.data_complete && memcmp(c.data, b, n) == 0);
    CHECK_EQ_INT(a.state, FILE_STATE_CLOSED);
    CHECK_EQ_INT(a.tx_id, 3);
    CHECK_EQ_STR(a.name, "x.bin");
    CHECK(file_memcap_used(m) > 0);
    file_info_fini(&a, m);
    file_info_fini(&c, m);
    CHECK_EQ_INT(file_memcap_used(m), 0);
    CHECK_EQ_INT(file_track_open_count(t), 0);
    free(b);
    file_track_free(t);
    file_memcap_free(m);
}

/* Past max-file-size: truncated, no hashes, size counts every byte, content
 * stops at the limit. */
TEST(limit_truncates)
{
    struct file_memcap *m = file_memcap_new(1 << 24);
    struct file_tracker *t = tracker(1000, 4, m);
    uint8_t *b = pattern(5000);
    struct file_info fi;
    struct file_obj *fo = file_track_open(t, 0, 1, "big", 3);

    for (int i = 0; i < 5; i++)
        file_track_append(t, fo, b + i * 1000, 1000);
    file_track_close(t, fo, false, &fi);
    CHECK_EQ_INT(fi.state, FILE_STATE_TRUNCATED);
    CHECK(!fi.hashed);
    CHECK_EQ_INT(fi.size, 5000);
    CHECK_EQ_INT(fi.data_len, 1000);
    CHECK(!fi.data_complete);
    CHECK(memcmp(fi.data, b, 1000) == 0);
    CHECK_EQ_INT(file_track_stats(t)->truncated, 1);
    file_info_fini(&fi, m);
    free(b);
    file_track_free(t);
    file_memcap_free(m);
}

/* A body that ends early (gap, reset) is TRUNCATED without hashes. */
TEST(truncated_close_has_no_hashes)
{
    struct file_memcap *m = file_memcap_new(1 << 20);
    struct file_tracker *t = tracker(1 << 16, 1, m);
    struct file_info fi;
    struct file_obj *fo = file_track_open(t, 0, 0, NULL, 0);

    file_track_append(t, fo, (const uint8_t *)"abc", 3);
    file_track_close(t, fo, true, &fi);
    CHECK_EQ_INT(fi.state, FILE_STATE_TRUNCATED);
    CHECK(!fi.hashed);
    CHECK_EQ_STR(file_state_name(fi.state), "TRUNCATED");
    file_info_fini(&fi, m);
    file_track_free(t);
    file_memcap_free(m);
}

/* Two trackers share one memcap: the file that does not fit drops its
 * content (counted) but is still hashed. */
TEST(memcap_is_shared_and_drops_content)
{
    struct file_memcap *m = file_memcap_new(64 * 1024);
    struct file_tracker *t1 = tracker(1 << 20, 2, m), *t2 = tracker(1 << 20, 2, m);
    uint8_t *b = pattern(60000), sha256[32];
    struct file_info a, c;

    digest(EVP_sha256(), b, 60000, sha256);
    struct file_obj *f1 = file_track_open(t1, 0, 1, NULL, 0);
    struct file_obj *f2 = file_track_open(t2, 0, 1, NULL, 0);
    file_track_append(t1, f1, b, 60000);
    file_track_append(t2, f2, b, 60000);
    file_track_close(t1, f1, false, &a);
    file_track_close(t2, f2, false, &c);
    CHECK(a.data_complete);
    CHECK(!c.data_complete && c.data == NULL);
    CHECK(c.hashed && memcmp(c.sha256, sha256, 32) == 0);
    CHECK_EQ_INT(file_track_stats(t2)->memcap_drops, 1);
    CHECK(file_memcap_used(m) <= 64 * 1024);
    CHECK_EQ_INT(c.head_len, FILE_HEAD_MAX);
    CHECK(memcmp(c.head, b, FILE_HEAD_MAX) == 0);
    file_info_fini(&a, m);
    file_info_fini(&c, m);
    CHECK_EQ_INT(file_memcap_used(m), 0);
    free(b);
    file_track_free(t1);
    file_track_free(t2);
    file_memcap_free(m);
}

/* Opening more files than slots fails and is counted; a slot comes back on close. */
TEST(slots_run_out_and_come_back)
{
    struct file_memcap *m = file_memcap_new(1 << 20);
    struct file_tracker *t = tracker(1024, 2, m);
    struct file_info fi;
    struct file_obj *a = file_track_open(t, 0, 0, NULL, 0);
    struct file_obj *b = file_track_open(t, 1, 0, NULL, 0);

    CHECK(a != NULL && b != NULL);
    CHECK(file_track_open(t, 2, 0, NULL, 0) == NULL);
    CHECK_EQ_INT(file_track_stats(t)->open_fail, 1);
    file_track_close(t, a, false, &fi);
    file_info_fini(&fi, m);
    CHECK(file_track_open(t, 3, 0, NULL, 0) != NULL);
    file_track_free(t);   /* frees the files still open */
    CHECK_EQ_INT(file_memcap_used(m), 0);
    file_memcap_free(m);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
