/* eve_writer: EVE lines to LOGDIR/eve.json with per-thread buffers, the
 * common Suricata header of every event and the persistent canh.seq.
 * Whole lines only: a buffer is written with one write(2) per flush under
 * the writer's mutex, and lines never straddle two flushes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/dpi_ndpi.h"
#include "log.h"
#include "output/eve_writer.h"

struct eve_writer {
    int fd;
    int seq_fd;
    char path[4096];
    char sensor[128];
    char iface[64];
    pthread_mutex_t lock;
    _Atomic uint64_t seq;      /* next seq to hand out */
    _Atomic uint64_t mark;     /* seqs below this are reserved on disk */
    _Atomic uint64_t events;
    bool io_error_logged;
    eve_sink_fn sink;
    void *sink_arg;
};

struct eve_out {
    struct eve_writer *w;
    char *buf;
    size_t cap, len;
    struct jb jb;               /* builds each event in place at buf + len */
    bool is_alert;
    uint64_t dropped;
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

struct eve_writer *eve_writer_new(const char *logdir, const char *sensor_id, const char *iface)
{
    struct eve_writer *w = calloc(1, sizeof(*w));
    char path[4200];

    if (w == NULL)
        return NULL;
    w->fd = w->seq_fd = -1;
    pthread_mutex_init(&w->lock, NULL);
    snprintf(w->path, sizeof(w->path), "%s", logdir);
    snprintf(w->sensor, sizeof(w->sensor), "%s", sensor_id);
    if (iface != NULL)
        snprintf(w->iface, sizeof(w->iface), "%s", iface);
    snprintf(path, sizeof(path), "%s/eve.json", logdir);
    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        log_error("eve", "%s: cannot open for append: %s (create the directory or use -l)", path,
                  strerror(errno));
        goto fail;
    }
    if (eve_seq_open(w, logdir) != 0)
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
    if (w->fd >= 0)
        close(w->fd);
    if (w->seq_fd >= 0)
        close(w->seq_fd);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void eve_writer_set_sink(struct eve_writer *w, eve_sink_fn fn, void *arg)
{
    w->sink = fn;
    w->sink_arg = arg;
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
    struct eve_out *o = calloc(1, sizeof(*o));

    if (o == NULL)
        return NULL;
    o->w = w;
    o->cap = bufsize < EVE_MAX_LINE ? EVE_MAX_LINE : bufsize;
    /* Events are built where they will be written (no copy per event):
     * len stays below cap between events, so the room past cap always
     * holds one more line of up to EVE_MAX_LINE bytes and its newline. */
    o->buf = malloc(o->cap + EVE_MAX_LINE + 1);
    if (o->buf == NULL) {
        free(o);
        return NULL;
    }
    return o;
}

int eve_out_flush(struct eve_out *o)
{
    int rc = 0;

    if (o->len == 0)
        return 0;
    pthread_mutex_lock(&o->w->lock);
    if (eve_write_all(o->w->fd, o->buf, o->len) != 0) {
        if (!o->w->io_error_logged)
            log_error("eve", "%s/eve.json: write failed: %s (events are being lost)", o->w->path,
                      strerror(errno));
        o->w->io_error_logged = true;
        rc = -1;
    }
    pthread_mutex_unlock(&o->w->lock);
    o->len = 0;
    return rc;
}

void eve_out_free(struct eve_out *o)
{
    if (o == NULL)
        return;
    eve_out_flush(o);
    free(o->buf);
    free(o);
}

uint64_t eve_out_dropped(const struct eve_out *o)
{
    return o->dropped;
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
    char id[160];
    size_t n;

    if (j->overflow) {
        o->dropped++;
        return -1;
    }
    seq = eve_next_seq(w);
    /* "sensor:seq" without snprintf: this runs for every event */
    n = strlen(w->sensor);
    memcpy(id, w->sensor, n);
    id[n++] = ':';
    {
        char d[24], *q = d + sizeof(d);
        uint64_t v = seq;
        do {
            *--q = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        memcpy(id + n, q, (size_t)(d + sizeof(d) - q));
        n += (size_t)(d + sizeof(d) - q);
    }
    id[n] = '\0';
    jb_open_object_k(j, JB_K("canh"));
    jb_str_k(j, JB_K("sensor"), w->sensor);
    jb_uint_k(j, JB_K("seq"), seq);
    jb_strn_k(j, JB_K("id"), id, n);
    jb_close_object(j);
    jb_close_object(j);
    if (!jb_ok(j)) {
        o->dropped++;
        return -1;
    }
    n = j->len;
    /* the sink sees the NUL-terminated line before the newline replaces it */
    if (w->sink != NULL)
        w->sink(w->sink_arg, jb_text(j), n, o->is_alert);
    o->buf[o->len + n] = '\n';
    o->len += n + 1;
    atomic_fetch_add_explicit(&w->events, 1, memory_order_relaxed);
    if (o->len >= o->cap)
        eve_out_flush(o);
    return 0;
}
