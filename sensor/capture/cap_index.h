/* cap_index: the readers of one offline file (one per worker, cap_loop.c)
 * share a single walk of it. The file is cut into chunks of records; the
 * first reader to need a chunk indexes it once for all: the records each
 * worker owns (by cap_hash) and the packet times at which every worker
 * ticks its clock. The others then fetch only their own records.
 *
 * Each reader sees exactly what a walk of the whole file of its own would
 * give it: its packets in file order, a tick at the first packet of each
 * new second of packet time (from the second one on), whatever worker that
 * packet belongs to, and the same error at the same place. Chunks live in
 * a ring of slots allocated at start; a slot is reused once every reader
 * has passed its chunk, so a reader may wait for the slowest one when it
 * runs a whole ring ahead (and for the one indexing the chunk it needs).
 */
#ifndef CANH_CAP_INDEX_H
#define CANH_CAP_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "capture/cap_pcap.h"

struct cap_index;
struct cap_index_reader;

/* cap_index_next's flags: tick the clock to ts first, then the packet. */
#define CAP_INDEX_PACKET 1
#define CAP_INDEX_TICK   2

/* An index for nreaders (1 to 64) readers of one mapped file (cap_is_mapped) with
 * datalink dl; a packet belongs to reader cap_hash(...) % nreaders.
 * stop: when it becomes true, waiting readers give up (cap_index_next
 * returns -1). NULL on failure (logged). */
struct cap_index *cap_index_new(int nreaders, int dl, bool vlan_tracking, const atomic_bool *stop);
/* After every reader has left. Accepts NULL. */
void cap_index_free(struct cap_index *ix);

/* Reader i (0 <= i < nreaders), reading through c: its own handle of the
 * file (cap_open_offline / cap_reopen), used by one thread only. */
struct cap_index_reader *cap_index_reader(struct cap_index *ix, int i, struct cap *c);

/* The reader's next event: CAP_INDEX_TICK and/or CAP_INDEX_PACKET (ts set;
 * caplen, len, data too with PACKET, data valid until the next call), -1
 * at end of file or on stop, -2 after a read error (logged once, by the
 * reader that met it). */
int cap_index_next(struct cap_index_reader *r, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                   const uint8_t **data);
/* Packets of the whole file (after the filter) and the latest packet time,
 * up to the end of the last chunk the reader finished. */
void cap_index_progress(const struct cap_index_reader *r, uint64_t *seen, struct timeval *last);
/* The reader is done (at the end, on error or stop): it holds no slot back
 * any more. Call once from its thread. */
void cap_index_leave(struct cap_index_reader *r);

#endif
