/* file_store: `file-store` in sensor.yaml. Writes carved files to disk named
 * by their SHA-256 (DIR/ab/abcdef..., as Suricata's file-store v2), each
 * content once, atomically (written to DIR/tmp/, fsync'd, then link()ed to
 * its name, so a reader never sees a partial file and two writers of the
 * same hash cannot both win), with a bound on the total bytes stored: past
 * it, files are not written and the refusal is counted (nothing is evicted:
 * retention is the operator's, e.g. a cron job; the size is re-read at start).
 * Thread-safe (the scan threads write); never on the packet path.
 */
#ifndef CANH_FILE_STORE_H
#define CANH_FILE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct file_store;

struct file_store_stats {
    uint64_t stored, already, full, errors;
    uint64_t bytes;           /* bytes in the store (existing + written) */
};

/* Creates dir (and dir/tmp) when missing and sums what it already holds.
 * NULL on failure (logged with the path and the reason). */
struct file_store *file_store_new(const char *dir, uint64_t max_bytes);
void file_store_free(struct file_store *st);

/* 1 written, 0 already stored, -1 not written (full or I/O error; counted). */
int file_store_put(struct file_store *st, const uint8_t sha256[32], const uint8_t *data,
                   size_t len);
/* The path a hash is (or would be) stored at; out needs 4096 bytes. */
void file_store_path(const struct file_store *st, const uint8_t sha256[32], char *out,
                     size_t cap);
void file_store_get_stats(struct file_store *st, struct file_store_stats *out);

#endif
