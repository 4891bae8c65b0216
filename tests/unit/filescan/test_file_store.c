/* Unit tests of sensor/filescan/file_store.c: path by sha256, write once,
 * the byte bound (counted refusals), the size re-read at start, and no
 * partial files left behind. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filescan/file_store.c"
#include "../runner.h"

static void sha(const char *s, uint8_t out[32])
{
    unsigned l;
    EVP_Digest(s, strlen(s), out, &l, EVP_sha256(), NULL);
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    static char buf[4096];
    if (f == NULL)
        return NULL;
    *n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

TEST(store_once_bounded_and_rescanned)
{
    char dir[64], path[4096];
    uint8_t h1[32], h2[32], h3[32];
    struct file_store_stats s;
    size_t n;
    const char *a = "first file content", *b = "second, a little longer, content";

    snprintf(dir, sizeof(dir), "/tmp/canh-fs-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    sha(a, h1);
    sha(b, h2);
    sha("third", h3);
    struct file_store *st = file_store_new(dir, strlen(a) + strlen(b));
    CHECK(st != NULL);
    CHECK_EQ_INT(file_store_put(st, h1, (const uint8_t *)a, strlen(a)), 1);
    CHECK_EQ_INT(file_store_put(st, h1, (const uint8_t *)a, strlen(a)), 0);
    file_store_path(st, h1, path, sizeof(path));
    char *got = slurp(path, &n);
    CHECK(got != NULL && n == strlen(a) && memcmp(got, a, n) == 0);
    char hx[65];
    file_hex(h1, 32, hx);
    CHECK(strstr(path, hx) != NULL);
    CHECK_EQ_INT(file_store_put(st, h2, (const uint8_t *)b, strlen(b)), 1);
    /* full now: a third file is refused and counted */
    CHECK_EQ_INT(file_store_put(st, h3, (const uint8_t *)"third", 5), -1);
    file_store_get_stats(st, &s);
    CHECK_EQ_INT(s.stored, 2);
    CHECK_EQ_INT(s.already, 1);
    CHECK_EQ_INT(s.full, 1);
    CHECK_EQ_INT(s.bytes, strlen(a) + strlen(b));
    file_store_free(st);
    /* tmp/ holds no partial file */
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    DIR *d = opendir(tmp);
    int left = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        left += de->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    CHECK_EQ_INT(left, 0);
    /* a new store on the same directory counts what is there */
    st = file_store_new(dir, 1 << 20);
    file_store_get_stats(st, &s);
    CHECK_EQ_INT(s.bytes, strlen(a) + strlen(b));
    CHECK_EQ_INT(file_store_put(st, h2, (const uint8_t *)b, strlen(b)), 0);
    file_store_free(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(bad_dir_fails)
{
    CHECK(file_store_new("/proc/definitely/not/here", 100) == NULL);
    CHECK(file_store_new("", 100) == NULL);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
