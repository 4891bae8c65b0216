/* det_reload: the engine the workers share, swapped by pointer on reload.
 *
 * The main thread loads the first engine; SIGHUP (or det_reload_now) builds
 * a new one with det_engine_load(old) so flowbit slots keep their meaning,
 * publishes it, and bumps a generation. Each worker polls the generation
 * between packets (one relaxed atomic load), makes a new det_thread for the
 * new engine and acknowledges. An old engine is freed only once every worker
 * has acknowledged a later generation, so no worker ever reads freed rules.
 * Capture and flow state are untouched by a reload.
 */
#ifndef CANH_DET_RELOAD_H
#define CANH_DET_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

struct cfg;
struct det_reload;

/* Load the first engine (rule files, or the config's rule-files when nfiles
 * is 0); nworkers is how many will acknowledge. NULL on a fatal load
 * problem (logged). The cfg and file names are borrowed for its lifetime. */
struct det_reload *det_reload_new(const struct cfg *c, const char *const *files, size_t nfiles,
                                  int nworkers);
/* Stops the SIGHUP watcher, frees every engine. Workers must be gone. */
void det_reload_free(struct det_reload *r);

/* Start a thread that reloads when SIGHUP arrives (installs the handler). */
int det_reload_watch(struct det_reload *r);
/* Reload now, on the calling thread. 0, or -1 when the new rules failed to
 * build (the old engine stays). */
int det_reload_now(struct det_reload *r);

/* Worker side: the current engine and its generation. */
const struct det_engine *det_reload_get(struct det_reload *r, uint32_t *gen);
uint32_t det_reload_gen(const struct det_reload *r);
/* Worker `id` now uses generation gen (it dropped its thread for older ones). */
void det_reload_ack(struct det_reload *r, int id, uint32_t gen);
/* How many reloads succeeded. */
uint32_t det_reload_count(const struct det_reload *r);

#endif
