/* onefile: a plain main() for any fuzz target (LLVMFuzzerTestOneInput), so
 * that `make test` replays the corpora under gcc (and ASan/UBSan with SAN=1)
 * without libFuzzer, as Suricata's src/tests/fuzz/onefile.c does.
 *
 *   replay-NAME [-n suite] [-t seconds] [-s seed] [-o crashdir] PATH...
 *
 * Every file under each PATH (or PATH itself) is run once, in name order;
 * then inputs mutated from those files (or random ones) are generated from a
 * fixed seed for about -t seconds. Before a crash, the input is written to
 * crashdir so that it can be replayed and added to the corpus. The run ends
 * with "N passed, 0 failed, 0 skipped", N = corpus files + 1 for the
 * generated phase (a crash ends the run before that line).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ONEFILE_MAX_INPUT (64 * 1024)
#define ONEFILE_MAX_SEEDS 4096
#define ONEFILE_GEN_MAX 4096

struct seed {
    uint8_t *data;
    size_t len;
};

static struct seed seeds[ONEFILE_MAX_SEEDS];
static size_t nseeds;

/* The input being run, for the crash handlers. */
static const uint8_t *cur_data;
static size_t cur_len;
static char crash_path[512];

static void save_current(void)
{
    int fd;

    if (crash_path[0] == '\0' || cur_data == NULL)
        return;
    fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, cur_data, cur_len);

        (void)w;
        close(fd);
    }
}

static void on_signal(int sig)
{
    static const char msg[] = "onefile: crashed; input saved as ";

    save_current();
    if (write(2, msg, sizeof(msg) - 1) > 0 && write(2, crash_path, strlen(crash_path)) > 0 &&
        write(2, "\n", 1) > 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void run_one(const uint8_t *d, size_t n)
{
    cur_data = d;
    cur_len = n;
    LLVMFuzzerTestOneInput(d, n);
    cur_data = NULL;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n;
    int rc = -1;

    if (f == NULL)
        goto out;
    buf = malloc(ONEFILE_MAX_INPUT);
    if (buf == NULL)
        goto out;
    n = fread(buf, 1, ONEFILE_MAX_INPUT, f);
    if (ferror(f))
        goto out;
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

/* Run one file and keep it as a seed for the generated phase. */
static int replay_file(const char *path)
{
    uint8_t *d;
    size_t n;

    if (read_file(path, &d, &n) != 0) {
        fprintf(stderr, "onefile: %s: %s\n", path, strerror(errno));
        return -1;
    }
    run_one(d, n);
    if (nseeds < ONEFILE_MAX_SEEDS)
        seeds[nseeds++] = (struct seed){ d, n };
    else
        free(d);
    return 0;
}

static int replay_path(const char *path, unsigned long *files)
{
    struct dirent **names;
    struct stat sb;
    int n, rc = 0;

    if (stat(path, &sb) != 0) {
        fprintf(stderr, "onefile: %s: no such corpus, generated inputs only\n", path);
        return 0;
    }
    if (!S_ISDIR(sb.st_mode)) {
        *files += replay_file(path) == 0;
        return 0;
    }
    n = scandir(path, &names, NULL, alphasort);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char p[1024];

        if (names[i]->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
                if (replay_file(p) == 0)
                    (*files)++;
                else
                    rc = -1;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* xorshift64*: fixed seed, same inputs on every run. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t rng_below(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

/* Build one input: a seed with 1..8 mutations, or random bytes. */
static size_t generate(uint8_t *buf)
{
    static const uint8_t interesting[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x06, 0x11,
                                           0x29, 0x2c, 0x3a, 0x45, 0x60 };
    size_t n, k;

    if (nseeds == 0 || rng_below(16) == 0) {
        n = rng_below(ONEFILE_GEN_MAX / 4);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rng();
        return n;
    }
    k = rng_below(nseeds);
    n = seeds[k].len < ONEFILE_GEN_MAX ? seeds[k].len : ONEFILE_GEN_MAX;
    memcpy(buf, seeds[k].data, n);
    for (int m = 1 + (int)rng_below(8); m > 0 && n > 0; m--) {
        size_t at = rng_below(n);

        switch (rng_below(7)) {
        case 0: /* flip a bit */
            buf[at] ^= (uint8_t)(1u << rng_below(8));
            break;
        case 1: /* random byte */
            buf[at] = (uint8_t)rng();
            break;
        case 2: /* interesting byte */
            buf[at] = interesting[rng_below(sizeof(interesting))];
            break;
        case 3: /* truncate */
            n = at;
            break;
        case 4: { /* delete a run */
            size_t len = 1 + rng_below(16);

            if (at + len > n)
                len = n - at;
            memmove(buf + at, buf + at + len, n - at - len);
            n -= len;
            break;
        }
        case 5: { /* insert a run copied from elsewhere */
            size_t len = 1 + rng_below(32), from = rng_below(n);

            if (n + len > ONEFILE_GEN_MAX)
                break;
            memmove(buf + at + len, buf + at, n - at);
            for (size_t i = 0; i < len; i++)
                buf[at + i] = buf[(from + i) % (n + len)];
            n += len;
            break;
        }
        default: { /* splice the tail of another seed */
            const struct seed *o = &seeds[rng_below(nseeds)];
            size_t from = rng_below(o->len), len = o->len - from;

            if (at + len > ONEFILE_GEN_MAX)
                len = ONEFILE_GEN_MAX - at;
            memcpy(buf + at, o->data + from, len);
            n = at + len;
            break;
        }
        }
    }
    return n;
}

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *name = "fuzz-replay", *crash_dir = NULL;
    double seconds = 2.0, end;
    unsigned long files = 0, generated = 0, seed = 1;
    static uint8_t buf[ONEFILE_GEN_MAX];
    int opt, rc = 0;

    while ((opt = getopt(argc, argv, "n:t:s:o:")) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 't': seconds = atof(optarg); break;
        case 's': seed = strtoul(optarg, NULL, 0); break;
        case 'o': crash_dir = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-n suite] [-t seconds] [-s seed] [-o crashdir] PATH...\n",
                    argv[0]);
            return 2;
        }
    }
    if (crash_dir != NULL) {
        mkdir(crash_dir, 0755);
        snprintf(crash_path, sizeof(crash_path), "%s/crash-input", crash_dir);
    }
    signal(SIGSEGV, on_signal);
    signal(SIGABRT, on_signal);
    signal(SIGBUS, on_signal);
    signal(SIGFPE, on_signal);
    signal(SIGILL, on_signal);
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_set_death_callback(save_current);
#endif
    for (int i = optind; i < argc; i++)
        if (replay_path(argv[i], &files) != 0)
            rc = 1;
    printf("%s: replayed %lu corpus files\n", name, files);

    rng_state = seed ? seed : 1;
    end = now_sec() + seconds;
    while (now_sec() < end) {
        for (int i = 0; i < 64; i++) {
            size_t n = generate(buf);

            run_one(buf, n);
            generated++;
        }
    }
    printf("%s: ran %lu generated inputs (seed %lu)\n", name, generated, seed);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].data);
    /* each corpus file is one test, the generated phase one more */
    printf("%s: %lu passed, %d failed, 0 skipped\n", name, files + (generated > 0), rc);
    return rc;
}
