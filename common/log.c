/* log: formats one line per call and writes it with a single write(2) so
 * lines from several threads never interleave. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "canh";
static enum log_level log_level_cur = LOG_LVL_NOTICE;
static int log_fd = -1;

static const char *const log_names[] = { "error", "warning", "notice", "info", "debug" };

void log_init(const char *prog)
{
    log_prog = prog;
}

void log_set_level(enum log_level lvl)
{
    log_level_cur = lvl;
}

enum log_level log_get_level(void)
{
    return log_level_cur;
}

int log_level_parse(const char *s)
{
    for (int i = LOG_LVL_ERROR; i <= LOG_LVL_DEBUG; i++)
        if (strcmp(s, log_names[i]) == 0)
            return i;
    return -1;
}

int log_set_file(const char *path)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    if (path == NULL)
        return 0;
    log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    return log_fd < 0 ? -1 : 0;
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
    if (lvl > log_level_cur)
        return;
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s: %s: %s: ", log_prog, log_names[lvl], module);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    if (log_fd >= 0)
        w = write(log_fd, line, len);
    (void)w;
}
