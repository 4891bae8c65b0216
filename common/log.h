/* log: the one logging module of both daemons.
 *
 * Lines go to stderr (systemd collects them) and optionally to a file,
 * never into EVE. Each line carries the program, the level and a module tag:
 *   sensor: error: rules: /etc/canh/local.rules:12: sid 1001: unknown keyword "foo"
 * Thread-safe: one write(2) per line. Per-packet code logs only at debug level.
 */
#ifndef CANH_LOG_H
#define CANH_LOG_H

enum log_level {
    LOG_LVL_NONE = -1, /* nothing is written (fuzz targets) */
    LOG_LVL_ERROR = 0,
    LOG_LVL_WARNING,
    LOG_LVL_NOTICE,
    LOG_LVL_INFO,
    LOG_LVL_DEBUG,
};

/* Set the program name shown first on every line ("sensor", "correlator"). */
void log_init(const char *prog);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parse "error", "warning", "notice", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *s);
/* Also append lines to this file (NULL closes it). 0 or a negative error. */
int log_set_file(const char *path);

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...)   log_msg(LOG_LVL_ERROR, mod, __VA_ARGS__)
#define log_warning(mod, ...) log_msg(LOG_LVL_WARNING, mod, __VA_ARGS__)
#define log_notice(mod, ...)  log_msg(LOG_LVL_NOTICE, mod, __VA_ARGS__)
#define log_info(mod, ...)    log_msg(LOG_LVL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...)   log_msg(LOG_LVL_DEBUG, mod, __VA_ARGS__)

#endif
