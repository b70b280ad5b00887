/*
 * tosput's progress display on stderr. On a terminal: one line redrawn in place (at most 10
 * times a second) with a bar, percent, bytes, the rate averaged over the last 3 seconds and
 * the ETA (and files for put-dir). Otherwise: a plain line every 2 seconds, which logs and
 * CI output can keep.
 */
#include "tosput.h"

#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TTY_INTERVAL 0.1
#define LINE_INTERVAL 2.0
#define RATE_WINDOW 3.0

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void format_bytes(double bytes, char *out, size_t len) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024.0 && unit < 4) {
        bytes /= 1024.0;
        unit++;
    }
    if (unit == 0) {
        snprintf(out, len, "%.0f B", bytes);
    } else {
        snprintf(out, len, "%.1f %s", bytes, units[unit]);
    }
}

static void format_duration(double seconds, char *out, size_t len) {
    long s = (long)(seconds + 0.5);
    if (s >= 3600) {
        snprintf(out, len, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    } else {
        snprintf(out, len, "%ld:%02ld", s / 60, s % 60);
    }
}

void progress_init(struct progress *p, int quiet, int dir_mode) {
    memset(p, 0, sizeof *p);
    p->enabled = !quiet;
    p->tty = isatty(STDERR_FILENO);
    p->dir_mode = dir_mode;
    p->started = now_seconds();
    p->last_output = p->started;
}

/* Bytes per second over the last RATE_WINDOW seconds (since the start at first). */
static double current_rate(struct progress *p, double now) {
    int i, oldest = -1;
    for (i = 0; i < p->sample_count; i++) {
        int idx = (p->sample_next - p->sample_count + i + PROGRESS_SAMPLES) % PROGRESS_SAMPLES;
        if (now - p->sample_time[idx] <= RATE_WINDOW) {
            oldest = idx;
            break;
        }
    }
    if (oldest < 0 || now - p->sample_time[oldest] < 0.2 || p->bytes_done < p->sample_bytes[oldest]) {
        return 0;
    }
    return (double)(p->bytes_done - p->sample_bytes[oldest]) / (now - p->sample_time[oldest]);
}

static void add_sample(struct progress *p, double now) {
    int last = (p->sample_next - 1 + PROGRESS_SAMPLES) % PROGRESS_SAMPLES;
    if (p->sample_count > 0 && now - p->sample_time[last] < 0.1) {
        return;
    }
    p->sample_time[p->sample_next] = now;
    p->sample_bytes[p->sample_next] = p->bytes_done;
    p->sample_next = (p->sample_next + 1) % PROGRESS_SAMPLES;
    if (p->sample_count < PROGRESS_SAMPLES) {
        p->sample_count++;
    }
}

static int terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
        return ws.ws_col;
    }
    return 80;
}

static void draw(struct progress *p, double now) {
    char done[32], total[32], rate_text[32], eta[32], files[64] = "", status[256];
    double rate = current_rate(p, now);
    double fraction = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 0.0;
    int width, bar, filled, i;

    format_bytes((double)p->bytes_done, done, sizeof done);
    format_bytes((double)p->bytes_total, total, sizeof total);
    if (rate > 0) {
        format_bytes(rate, rate_text, sizeof rate_text);
        strcat(rate_text, "/s");
    } else {
        snprintf(rate_text, sizeof rate_text, "-- B/s");
    }
    if (rate > 0 && p->bytes_total > p->bytes_done && (!p->dir_mode || p->walk_complete)) {
        format_duration((double)(p->bytes_total - p->bytes_done) / rate, eta, sizeof eta);
    } else if (p->bytes_total > 0 && p->bytes_done >= p->bytes_total) {
        format_duration(now - p->started, eta, sizeof eta);
    } else {
        snprintf(eta, sizeof eta, "--:--");
    }
    if (p->dir_mode) {
        snprintf(files, sizeof files, "  files %llu/%llu%s", (unsigned long long)p->files_done,
                 (unsigned long long)p->files_total, p->walk_complete ? "" : "+");
        if (p->files_failed) {
            snprintf(files + strlen(files), sizeof files - strlen(files), " (%llu failed)",
                     (unsigned long long)p->files_failed);
        }
    }
    if (p->unknown_total) {
        format_duration(now - p->started, eta, sizeof eta);
        snprintf(status, sizeof status, "%s sent  %s  %s", done, rate_text, eta);
    } else {
        snprintf(status, sizeof status, "%5.1f%%  %s / %s  %s  %s %s%s", fraction * 100.0, done, total, rate_text,
                 p->bytes_total > 0 && p->bytes_done >= p->bytes_total ? "in" : "ETA", eta, files);
    }
    if (!p->tty) {
        fprintf(stderr, "tosput: %s\n", status);
        return;
    }
    width = terminal_width();
    bar = width - (int)strlen(status) - 4;
    if (bar > 40) {
        bar = 40;
    }
    fputc('\r', stderr);
    if (bar >= 10 && !p->unknown_total) {
        filled = (int)(fraction * bar);
        fputc('[', stderr);
        for (i = 0; i < bar; i++) {
            fputc(i < filled ? '#' : (i == filled ? '>' : '.'), stderr);
        }
        fputs("] ", stderr);
    }
    fprintf(stderr, "%s\033[K", status);
    fflush(stderr);
    p->drawn = 1;
}

static void maybe_draw(struct progress *p) {
    double now;
    if (!p->enabled) {
        return;
    }
    now = now_seconds();
    add_sample(p, now);
    if (now - p->last_output >= (p->tty ? TTY_INTERVAL : LINE_INTERVAL)) {
        draw(p, now);
        p->last_output = now;
    }
}

void progress_update(struct progress *p, uint64_t bytes_done, uint64_t bytes_total) {
    p->bytes_done = bytes_done;
    p->bytes_total = bytes_total;
    maybe_draw(p);
}

void progress_files(struct progress *p, uint64_t files_done, uint64_t files_total, uint64_t files_failed,
                    int walk_complete) {
    p->files_done = files_done;
    p->files_total = files_total;
    p->files_failed = files_failed;
    p->walk_complete = walk_complete;
}

void progress_break_line(struct progress *p) {
    if (p->drawn && p->tty) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
}

void progress_finish(struct progress *p) {
    if (!p->enabled) {
        return;
    }
    if (p->tty && p->drawn) {
        draw(p, now_seconds());
    }
    progress_break_line(p);
}
