/* fuzz_file: the file path with wire bytes, without the engine: an input is
 * a file name and body chunks (each [len:1][bytes]) fed through file_track
 * (small size limit and memcap, so truncation and content drops happen),
 * then libmagic, a YARA scan with our signatures/yara rules (the pe module
 * parses whatever arrives) and the fileinfo JSON, which must close. The
 * input is also split into YARA rule blocks (the compile-recovery parser).
 * Checks: hashes only when CLOSED; kept bytes equal the fed prefix.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

#include "filescan/file_track.h"
#include "filescan/fscan_yara.c"
#include "output/eve_fileinfo.h"

static struct fscan_yara_scanner *fz_scanner;
static magic_t fz_magic;
static struct file_memcap *fz_mem;

static void fz_init(void)
{
    const char *paths[] = { "signatures/yara" };
    struct fscan_yara *y;

    if (fz_mem != NULL)
        return;
    fz_mem = file_memcap_new(48 * 1024);
    y = fscan_yara_load(paths, 1, NULL);
    if (y != NULL) {
        fz_scanner = fscan_yara_scanner_new(y, 1);
        fscan_yara_unref(y);
    }
    fz_magic = magic_open(MAGIC_NONE);
    if (fz_magic != NULL && magic_load(fz_magic, NULL) != 0) {
        magic_close(fz_magic);
        fz_magic = NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct file_track_cfg cfg = { .max_file_size = 32 * 1024, .max_open = 2 };
    struct fscan_ytext_block blocks[64];
    static uint8_t fed[70000];
    struct file_tracker *t;
    struct file_obj *fo;
    struct file_info fi;
    size_t pos = 0, nfed = 0;
    static char buf[65536];
    struct jb j;

    fz_init();
    fscan_ytext_blocks((const char *)data, size, blocks, 64);
    t = file_track_new(&cfg, fz_mem);
    if (t == NULL || size == 0)
        goto out;
    size_t nlen = data[0] % 64 < size - 1 ? data[0] % 64 : size - 1;
    fo = file_track_open(t, data[0], data[0] & 1, (const char *)data + 1, nlen);
    file_track_set_http(fo, (const char *)data + 1, nlen, (const char *)data, nlen / 2);
    pos = 1 + nlen;
    while (pos < size) {
        size_t n = data[pos++];
        if (n > size - pos)
            n = size - pos;
        file_track_append(t, fo, data + pos, n);
        if (nfed + n <= sizeof(fed)) {
            memcpy(fed + nfed, data + pos, n);
            nfed += n;
        }
        pos += n;
    }
    file_track_close(t, fo, size % 7 == 0, &fi);
    assert(fi.size == nfed);
    assert(!fi.hashed || fi.state == FILE_STATE_CLOSED);
    assert(fi.data_len <= fi.size && (fi.data == NULL || memcmp(fi.data, fed, fi.data_len) == 0));
    if (fz_magic != NULL && fi.head_len > 0) {
        const char *m = magic_buffer(fz_magic, fi.data_complete ? fi.data : fi.head,
                                     fi.data_complete ? fi.data_len : fi.head_len);
        snprintf(fi.magic, sizeof(fi.magic), "%s", m ? m : "");
    }
    struct fscan_yara_result r;
    memset(&r, 0, sizeof(r));
    if (fz_scanner != NULL && fi.data_complete)
        fscan_yara_scan(fz_scanner, fi.data, fi.data_len, &r);
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    eve_fileinfo_object(&j, &fi, &r);
    jb_close_object(&j);
    assert(jb_ok(&j));
    file_info_fini(&fi, fz_mem);
    assert(file_memcap_used(fz_mem) == 0);
out:
    file_track_free(t);
    return 0;
}
