/* eve_writer: EVE lines to LOGDIR/eve.json with per-thread buffers, the
 * common Suricata header of every event and the persistent canh.seq.
 * Whole lines only, and no I/O on the committing thread: a flushed buffer
 * is handed to the writer's own thread (one lock and one wake-up per flush,
 * never per event) in exchange for a spare from the eve_out's preallocated
 * set; the writer thread does the write(2) and feeds the sink, in hand-over
 * order, so each thread's lines keep their order and never straddle writes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/dpi_ndpi.h"
#include "log.h"
#include "output/eve_writer.h"

/* Buffers per eve_out: one being filled and up to seven queued for the
 * writer thread. A worker fills a 256 KB buffer in ~1.3 ms on the bench
 * capture, and write(2) stalls of 5-10 ms are common when the page cache
 * is throttling writeback: seven queued buffers ride out one such stall,
 * three did not (the worker waited ~75 ms per bench run vs ~45 ms with
 * seven, right after a run that wrote 185 MB). Only the buffers a stall
 * needs are ever touched: the spares are reused last-in first-out. */
#define EVE_OUT_NBUF 8
/* No EVE line is shorter than this (the timestamp, event_type and canh
 * objects alone are longer): it bounds the lines of one buffer, and so the
 * size of its alert bitmap. eve_commit flushes early if it is ever reached. */
#define EVE_MIN_LINE 64

/* One buffer of lines, owned by its eve_out's thread while it fills, by
 * the writer thread while queued; moves between them under w->qlock. */
struct eve_buf {
    struct eve_buf *next;       /* in the writer queue or the owner's spares */
    struct eve_out *owner;
    char *data;                 /* cap + EVE_MAX_LINE + 1 bytes */
    size_t len;
    uint32_t nlines;
    uint64_t *alerts;           /* bit i: line i is an alert (for the sink) */
};

struct eve_writer {
    int fd;
    int seq_fd;
    char path[4096];
    char sensor[128];
    /* The constant parts of every event's "canh" object, escaped once:
     * {"sensor":"<id>","seq":   and   ,"id":"<id>:   (eve_canh_parts). */
    char canh_pre[800], id_pre[800];
    size_t canh_pre_len, id_pre_len;
    char iface[64];
    pthread_mutex_t lock;       /* canh.seq reservation */
    /* Written per event by the committing threads: a cache line of their
     * own, apart from the queue the writer thread writes per flush. */
    _Alignas(64) _Atomic uint64_t seq;  /* next seq to hand out */
    _Atomic uint64_t mark;      /* seqs below this are reserved on disk */
    _Atomic uint64_t events;
    /* The writer thread and its queue, all under qlock. */
    _Alignas(64) pthread_mutex_t qlock;
    pthread_cond_t qwork;       /* the writer thread: a buffer is queued, or stop */
    pthread_cond_t qidle;       /* eve_writer_sync: the queue ran dry */
    struct eve_buf *qhead, *qtail;
    bool qbusy;                 /* the writer thread holds a buffer */
    bool qstop;
    bool started;
    bool io_failed;             /* a write has failed since eve_writer_new */
    pthread_t thread;
    eve_sink_fn sink;
    void *sink_arg;
};

struct eve_out {
    struct eve_writer *w;
    struct eve_buf *cur;        /* being filled by this thread */
    char *buf;                  /* cur->data */
    size_t cap, len;            /* len: cur's bytes so far */
    uint32_t nlines, max_lines; /* cur's lines so far; flush at max_lines */
    struct jb jb;               /* builds each event in place at buf + len */
    bool is_alert;
    uint64_t dropped;           /* lines over EVE_MAX_LINE (this thread) */
    /* Written by the writer thread: away from the fields above, which the
     * owning thread writes per event. */
    _Alignas(64) _Atomic uint64_t lost; /* lines in writes that failed */
    /* Under w->qlock: */
    pthread_cond_t back;        /* a buffer came back from the writer thread */
    struct eve_buf *spare;
    unsigned inflight;
    bool io_failed;             /* a write of ours failed since the last flush */
    struct eve_buf bufs[EVE_OUT_NBUF];
};

static int eve_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Persist a new reserved mark; caller holds the lock. */
static int eve_seq_reserve(struct eve_writer *w, uint64_t mark)
{
    char txt[32];
    int n = snprintf(txt, sizeof(txt), "%" PRIu64 "\n", mark);

    if (ftruncate(w->seq_fd, 0) != 0 || pwrite(w->seq_fd, txt, (size_t)n, 0) != n ||
        fsync(w->seq_fd) != 0) {
        log_error("eve", "%s/canh.seq: cannot persist the event sequence: %s", w->path,
                  strerror(errno));
        return -1;
    }
    atomic_store(&w->mark, mark);
    return 0;
}

static int eve_seq_open(struct eve_writer *w, const char *logdir)
{
    char path[4200], txt[32] = "";
    uint64_t start = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/canh.seq", logdir);
    w->seq_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->seq_fd < 0) {
        log_error("eve", "%s: cannot open: %s (is the log directory writable?)", path, strerror(errno));
        return -1;
    }
    n = pread(w->seq_fd, txt, sizeof(txt) - 1, 0);
    if (n > 0) {
        txt[n] = '\0';
        start = strtoull(txt, NULL, 10);
    }
    /* Continue from the reserved mark: seqs below it may have been used. */
    atomic_store(&w->seq, start);
    return eve_seq_reserve(w, start + EVE_SEQ_BLOCK);
}

/* The writer thread's work on one buffer: the file, then the sink. Each
 * line goes to the sink NUL-terminated in place of its newline, which is
 * why the file comes first. Returns -1 if the write failed. */
static int eve_buf_out(struct eve_writer *w, struct eve_buf *b, eve_sink_fn sink, void *arg)
{
    int rc = 0;

    if (eve_write_all(w->fd, b->data, b->len) != 0) {
        if (!w->io_failed)
            log_error("eve", "%s/eve.json: write failed: %s (events are being lost)", w->path,
                      strerror(errno));
        rc = -1;
    }
    if (sink != NULL) {
        char *p = b->data, *end = b->data + b->len;
        for (uint32_t i = 0; i < b->nlines && p < end; i++) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL)
                break;
            *nl = '\0';
            sink(arg, p, (size_t)(nl - p), (int)(b->alerts[i / 64] >> (i % 64) & 1));
            p = nl + 1;
        }
    }
    memset(b->alerts, 0, ((size_t)b->nlines + 63) / 64 * sizeof(uint64_t));
    b->len = 0;
    b->nlines = 0;
    return rc;
}

/* Takes queued buffers in order, one at a time, and gives each back to its
 * eve_out as soon as it is written; leaves once stopped and drained. */
static void *eve_writer_main(void *arg)
{
    struct eve_writer *w = arg;

    pthread_mutex_lock(&w->qlock);
    for (;;) {
        while (w->qhead == NULL && !w->qstop)
            pthread_cond_wait(&w->qwork, &w->qlock);
        if (w->qhead == NULL)
            break;
        struct eve_buf *b = w->qhead;
        w->qhead = b->next;
        if (w->qhead == NULL)
            w->qtail = NULL;
        w->qbusy = true;
        eve_sink_fn sink = w->sink;
        void *sink_arg = w->sink_arg;
        struct eve_out *o = b->owner;
        uint32_t nlines = b->nlines;
        pthread_mutex_unlock(&w->qlock);

        int rc = eve_buf_out(w, b, sink, sink_arg);
        if (rc != 0)
            atomic_fetch_add_explicit(&o->lost, nlines, memory_order_relaxed);

        pthread_mutex_lock(&w->qlock);
        if (rc != 0)
            w->io_failed = o->io_failed = true;
        b->next = o->spare;
        o->spare = b;
        o->inflight--;
        pthread_cond_signal(&o->back);
        w->qbusy = false;
        if (w->qhead == NULL)
            pthread_cond_broadcast(&w->qidle);
    }
    pthread_mutex_unlock(&w->qlock);
    return NULL;
}

/* The writer thread takes no signals: SIGINT/SIGTERM/SIGHUP stay with the
 * threads that handle them. */
static int eve_writer_start(struct eve_writer *w)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, eve_writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_error("eve", "cannot start the EVE writer thread: %s", strerror(rc));
        return -1;
    }
    w->started = true;
    return 0;
}

/* The text around seq in every event's "canh" object, built once with the
 * sensor id escaped: eve_commit then only appends digits. */
static void eve_canh_parts(struct eve_writer *w)
{
    struct jb t;

    jb_init(&t, w->canh_pre, sizeof(w->canh_pre));
    jb_open_object(&t, NULL);
    jb_str(&t, "sensor", w->sensor);
    jb_raw(&t, "seq", "", 0); /* ,"seq": with nothing after it yet */
    w->canh_pre_len = t.len;
    jb_init(&t, w->id_pre + 6, sizeof(w->id_pre) - 8);
    jb_strn(&t, NULL, w->sensor, strlen(w->sensor));
    /* ,"id":"<escaped id>: (the closing quote dropped: digits and '"' follow) */
    memcpy(w->id_pre, ",\"id\":", 6);
    w->id_pre_len = 6 + t.len - 1;
    w->id_pre[w->id_pre_len++] = ':';
}

struct eve_writer *eve_writer_new(const char *logdir, const char *sensor_id, const char *iface)
{
    /* aligned: the _Alignas cache lines inside must be real */
    struct eve_writer *w = aligned_alloc(_Alignof(struct eve_writer), sizeof(*w));
    char path[4200];

    if (w == NULL)
        return NULL;
    memset(w, 0, sizeof(*w));
    w->fd = w->seq_fd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->qlock, NULL);
    pthread_cond_init(&w->qwork, NULL);
    pthread_cond_init(&w->qidle, NULL);
    snprintf(w->path, sizeof(w->path), "%s", logdir);
    snprintf(w->sensor, sizeof(w->sensor), "%s", sensor_id);
    eve_canh_parts(w);
    if (iface != NULL)
        snprintf(w->iface, sizeof(w->iface), "%s", iface);
    snprintf(path, sizeof(path), "%s/eve.json", logdir);
    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        log_error("eve", "%s: cannot open for append: %s (create the directory or use -l)", path,
                  strerror(errno));
        goto fail;
    }
    if (eve_seq_open(w, logdir) != 0 || eve_writer_start(w) != 0)
        goto fail;
    return w;
fail:
    eve_writer_free(w);
    return NULL;
}

void eve_writer_free(struct eve_writer *w)
{
    if (w == NULL)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->qlock);
        w->qstop = true;
        pthread_cond_signal(&w->qwork);
        pthread_mutex_unlock(&w->qlock);
        pthread_join(w->thread, NULL);   /* it drains the queue first */
    }
    if (w->fd >= 0)
        close(w->fd);
    if (w->seq_fd >= 0)
        close(w->seq_fd);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->qlock);
    pthread_cond_destroy(&w->qwork);
    pthread_cond_destroy(&w->qidle);
    free(w);
}

void eve_writer_set_sink(struct eve_writer *w, eve_sink_fn fn, void *arg)
{
    pthread_mutex_lock(&w->qlock);
    w->sink = fn;
    w->sink_arg = arg;
    pthread_mutex_unlock(&w->qlock);
}

int eve_writer_sync(struct eve_writer *w)
{
    int rc;

    pthread_mutex_lock(&w->qlock);
    while (w->qhead != NULL || w->qbusy)
        pthread_cond_wait(&w->qidle, &w->qlock);
    rc = w->io_failed ? -1 : 0;
    pthread_mutex_unlock(&w->qlock);
    return rc;
}

uint64_t eve_writer_events(const struct eve_writer *w)
{
    return atomic_load(&((struct eve_writer *)w)->events);
}

uint64_t eve_writer_peek_seq(const struct eve_writer *w)
{
    return atomic_load(&((struct eve_writer *)w)->seq);
}

static uint64_t eve_next_seq(struct eve_writer *w)
{
    uint64_t s = atomic_fetch_add(&w->seq, 1);

    if (s >= atomic_load(&w->mark)) {
        pthread_mutex_lock(&w->lock);
        if (s >= atomic_load(&w->mark))
            eve_seq_reserve(w, s + EVE_SEQ_BLOCK);
        pthread_mutex_unlock(&w->lock);
    }
    return s;
}

struct eve_out *eve_out_new(struct eve_writer *w, size_t bufsize)
{
    struct eve_out *o = aligned_alloc(_Alignof(struct eve_out), sizeof(*o));
    size_t words;

    if (o == NULL)
        return NULL;
    memset(o, 0, sizeof(*o));
    o->w = w;
    pthread_cond_init(&o->back, NULL);
    o->cap = bufsize < EVE_MAX_LINE ? EVE_MAX_LINE : bufsize;
    o->max_lines = (uint32_t)((o->cap + EVE_MAX_LINE) / EVE_MIN_LINE + 1);
    words = ((size_t)o->max_lines + 63) / 64;
    for (int i = 0; i < EVE_OUT_NBUF; i++) {
        struct eve_buf *b = &o->bufs[i];
        b->owner = o;
        /* Events are built where they will be written (no copy per event):
         * len stays below cap between events, so the room past cap always
         * holds one more line of up to EVE_MAX_LINE bytes and its newline. */
        b->data = malloc(o->cap + EVE_MAX_LINE + 1);
        b->alerts = calloc(words, sizeof(uint64_t));
        if (b->data == NULL || b->alerts == NULL)
            goto fail;
        if (i > 0) {
            b->next = o->spare;
            o->spare = b;
        }
    }
    o->cur = &o->bufs[0];
    o->buf = o->cur->data;
    return o;
fail:
    for (int i = 0; i < EVE_OUT_NBUF; i++) {
        free(o->bufs[i].data);
        free(o->bufs[i].alerts);
    }
    pthread_cond_destroy(&o->back);
    free(o);
    return NULL;
}

int eve_out_flush(struct eve_out *o)
{
    struct eve_writer *w = o->w;
    int rc;

    pthread_mutex_lock(&w->qlock);
    if (o->len > 0) {
        struct eve_buf *b = o->cur;
        b->len = o->len;
        b->nlines = o->nlines;
        b->next = NULL;
        if (w->qtail != NULL)
            w->qtail->next = b;
        else
            w->qhead = b;
        w->qtail = b;
        o->inflight++;
        pthread_cond_signal(&w->qwork);
        /* Every spare in flight: wait for the writer, as a write(2) on this
         * thread would have (offline nothing may be lost; live the same). */
        while (o->spare == NULL)
            pthread_cond_wait(&o->back, &w->qlock);
        o->cur = o->spare;
        o->spare = o->cur->next;
        o->buf = o->cur->data;
        o->len = 0;
        o->nlines = 0;
    }
    rc = o->io_failed ? -1 : 0;
    o->io_failed = false;
    pthread_mutex_unlock(&w->qlock);
    return rc;
}

void eve_out_free(struct eve_out *o)
{
    if (o == NULL)
        return;
    eve_out_flush(o);
    pthread_mutex_lock(&o->w->qlock);
    while (o->inflight > 0)
        pthread_cond_wait(&o->back, &o->w->qlock);
    pthread_mutex_unlock(&o->w->qlock);
    for (int i = 0; i < EVE_OUT_NBUF; i++) {
        free(o->bufs[i].data);
        free(o->bufs[i].alerts);
    }
    pthread_cond_destroy(&o->back);
    free(o);
}

uint64_t eve_out_dropped(const struct eve_out *o)
{
    return o->dropped + atomic_load_explicit(&((struct eve_out *)o)->lost, memory_order_relaxed);
}

const char *eve_proto_name(uint8_t proto)
{
    switch (proto) {
    case 6:  return "TCP";
    case 17: return "UDP";
    case 1:  return "ICMP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default: return NULL;
    }
}

static void eve_proto(struct jb *j, uint8_t proto)
{
    const char *n = eve_proto_name(proto);

    if (n != NULL)
        jb_str_k(j, JB_K("proto"), n);
    else {
        char num[8];
        jb_strn_k(j, JB_K("proto"), num, (size_t)(jb_fmt_u64(num, proto) - num));
    }
}

struct jb *eve_begin(struct eve_out *o, const char *event_type, const struct flow *f,
                     const struct packet *p, struct timeval ts)
{
    struct jb *j = &o->jb;

    jb_init(j, o->buf + o->len, EVE_MAX_LINE);
    o->is_alert = strcmp(event_type, "alert") == 0;
    jb_open_object(j, NULL);
    jb_time_k(j, JB_K("timestamp"), ts);
    if (f != NULL)
        jb_uint_k(j, JB_K("flow_id"), f->flow_id);
    if (o->w->iface[0] != '\0')
        jb_str_k(j, JB_K("in_iface"), o->w->iface);
    jb_str_k(j, JB_K("event_type"), event_type);
    if (p != NULL && p->vlan_count > 0) {
        jb_open_array_k(j, JB_K("vlan"));
        for (int i = 0; i < p->vlan_count; i++)
            jb_uint(j, NULL, p->vlan[i] & 0x0fffu);
        jb_close_array(j);
    } else if (p == NULL && f != NULL && f->key.vlan != 0) {
        jb_open_array_k(j, JB_K("vlan"));
        jb_uint(j, NULL, f->key.vlan);
        jb_close_array(j);
    }
    if (p != NULL && p->ip_version != 0) {
        jb_ip_k(j, JB_K("src_ip"), p->src, p->ip_version);
        if (p->proto == 6 || p->proto == 17 || p->proto == 132)
            jb_uint_k(j, JB_K("src_port"), p->sport);
        jb_ip_k(j, JB_K("dest_ip"), p->dst, p->ip_version);
        if (p->proto == 6 || p->proto == 17 || p->proto == 132)
            jb_uint_k(j, JB_K("dest_port"), p->dport);
        eve_proto(j, p->proto);
    } else if (f != NULL) {
        const uint8_t *cip = f->client_is_lo ? f->key.ip_lo : f->key.ip_hi;
        const uint8_t *sip = f->client_is_lo ? f->key.ip_hi : f->key.ip_lo;
        uint16_t cport = f->client_is_lo ? f->key.port_lo : f->key.port_hi;
        uint16_t sport = f->client_is_lo ? f->key.port_hi : f->key.port_lo;
        bool ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;

        jb_ip_k(j, JB_K("src_ip"), cip, f->key.ipver);
        if (ports)
            jb_uint_k(j, JB_K("src_port"), cport);
        jb_ip_k(j, JB_K("dest_ip"), sip, f->key.ipver);
        if (ports)
            jb_uint_k(j, JB_K("dest_port"), sport);
        eve_proto(j, f->key.proto);
    }
    if (f != NULL) {
        const char *ap = f->dpi.done ? dpi_app_proto(&f->dpi) : NULL;
        if (ap != NULL)
            jb_str_k(j, JB_K("app_proto"), ap);
        else if (f->dpi.done && f->dpi.payload_seen)
            jb_str_k(j, JB_K("app_proto"), "failed");
    }
    return j;
}

int eve_commit(struct eve_out *o)
{
    struct jb *j = &o->jb;
    struct eve_writer *w = o->w;
    uint64_t seq;
    char tail[sizeof(w->canh_pre) + sizeof(w->id_pre) + 64];
    size_t n;

    if (j->overflow) {
        o->dropped++;
        return -1;
    }
    seq = eve_next_seq(w);
    /* "canh":{"sensor":"<id>","seq":N,"id":"<id>:N"} from the parts built
     * once (eve_canh_parts): this runs for every event */
    {
        char digits[24], *e = jb_fmt_u64(digits, seq);
        size_t dn = (size_t)(e - digits);

        memcpy(tail, w->canh_pre, w->canh_pre_len);
        n = w->canh_pre_len;
        memcpy(tail + n, digits, dn);
        n += dn;
        memcpy(tail + n, w->id_pre, w->id_pre_len);
        n += w->id_pre_len;
        memcpy(tail + n, digits, dn);
        n += dn;
        tail[n++] = '"';
        tail[n++] = '}';
    }
    jb_raw_k(j, JB_K("canh"), tail, n);
    jb_close_object(j);
    if (!jb_ok(j)) {
        o->dropped++;
        return -1;
    }
    n = j->len;
    if (o->is_alert)
        o->cur->alerts[o->nlines / 64] |= (uint64_t)1 << (o->nlines % 64);
    o->buf[o->len + n] = '\n';
    o->len += n + 1;
    o->nlines++;
    atomic_fetch_add_explicit(&w->events, 1, memory_order_relaxed);
    if (o->len >= o->cap || o->nlines >= o->max_lines)
        eve_out_flush(o);
    return 0;
}
