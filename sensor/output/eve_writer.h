/* eve_writer: EVE JSON lines into LOGDIR/eve.json, and the event API every
 * sensor stage uses to emit its own records.
 *
 *   struct jb *j = eve_begin(out, "alert", flow, packet, packet->ts);
 *   jb_open_object(j, "alert"); ... jb_close_object(j);
 *   eve_commit(out);
 *
 * eve_begin fills Suricata's common fields (timestamp, flow_id, in_iface,
 * event_type, vlan, src/dest ip and port, proto, app_proto) and eve_commit
 * adds the `canh` identity {sensor, seq, id} and appends the line.
 * One struct eve_writer per sensor (the file, the seq counter, its writer
 * thread) and one struct eve_out per thread (a small preallocated set of
 * line buffers): a buffer that is full or flushed is handed whole to the
 * writer thread, which does the write(2) and feeds the sink, so the
 * committing thread takes one lock per flush, none per event, and does no
 * I/O unless every buffer of its set is still queued (then it waits).
 * seq is monotonic per sensor across restarts: blocks of EVE_SEQ_BLOCK are
 * reserved in LOGDIR/canh.seq (fsync'd) before use, and a restart continues
 * from the reserved mark, so no seq is ever reused.
 */
#ifndef CANH_EVE_WRITER_H
#define CANH_EVE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "jb.h"

#define EVE_SEQ_BLOCK 10000

struct eve_writer;
struct eve_out;

/* Receives each committed line when set, NUL-terminated and without the
 * newline; e.g. the shipper's ship_append(). Called on the writer thread
 * after the line's buffer is written to eve.json: every line once, whole,
 * each eve_out's lines in commit order; line is valid during the call. */
typedef int (*eve_sink_fn)(void *arg, const char *line, size_t len, int is_alert);

/* Opens LOGDIR/eve.json for append and LOGDIR/canh.seq. iface: the live
 * interface name for in_iface, NULL offline. NULL on failure (logged). */
struct eve_writer *eve_writer_new(const char *logdir, const char *sensor_id, const char *iface);
/* Writes out everything handed over (each eve_out flushes itself, and must
 * be freed before), stops the writer thread and closes. NULL is fine. */
void eve_writer_free(struct eve_writer *w);
/* Before any event is flushed (it may be set later; it then applies from
 * the next buffer the writer thread takes). */
void eve_writer_set_sink(struct eve_writer *w, eve_sink_fn fn, void *arg);
/* Waits until every buffer flushed so far (by any eve_out) is written and
 * sunk. 0, or -1 if any write to eve.json has failed since eve_writer_new.
 * Any thread; for tests and for readers of eve.json that need it now. */
int eve_writer_sync(struct eve_writer *w);
/* Events committed so far (all threads). */
uint64_t eve_writer_events(const struct eve_writer *w);
/* Next seq that will be assigned (for tests and stats). */
uint64_t eve_writer_peek_seq(const struct eve_writer *w);

/* A per-thread output: a set of buffers of bufsize bytes each (+ room for
 * one line), allocated here and never again (lines longer than
 * EVE_MAX_LINE are dropped and counted). */
#define EVE_MAX_LINE (64 * 1024)
struct eve_out *eve_out_new(struct eve_writer *w, size_t bufsize);
/* Flushes, waits until the writer thread is done with all of this
 * eve_out's buffers, then frees. NULL is fine. */
void eve_out_free(struct eve_out *o);
/* Hands the buffered lines to the writer thread now (they reach the file
 * soon after; eve_writer_sync waits for it) and takes a spare buffer,
 * waiting for one if all are queued. 0, or -1 if a write of this eve_out's
 * lines has failed since the last call (logged once per writer; the lines
 * are counted in eve_out_dropped). Between events only: an event is built
 * in place in the buffer. Called by the owning thread only. */
int eve_out_flush(struct eve_out *o);

/* Start an event. f and p may be NULL. Address fields come from p when
 * given (packet direction, as Suricata's alerts), else from f with the
 * client as src. ts is the event time. The builder is valid until
 * eve_commit or the next eve_begin. */
struct jb *eve_begin(struct eve_out *o, const char *event_type, const struct flow *f,
                     const struct packet *p, struct timeval ts);
/* Finish the event begun last: 0, or -1 if it did not fit (counted). */
int eve_commit(struct eve_out *o);

/* Lines of this eve_out lost: too long, or in a write that failed. */
uint64_t eve_out_dropped(const struct eve_out *o);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", or NULL for other numbers. */
const char *eve_proto_name(uint8_t proto);

#endif
