/*
 * tosput: a command-line uploader for TOS built on libtosupload (see main.c).
 * Shared declarations of its parts: args.c (command line), help.c (--help texts),
 * values.c (option values), destination.c (tos://BUCKET/KEY to bucket and key),
 * report.c (errors and their exit codes),
 * progress.c (progress display), main.c (signals, the client and the uploads),
 * uploads.c (`tosput uploads`: the multipart uploads left open on the server),
 * stream.c (`put -`: standard input), get.c (`get`: an object to a local file),
 * get_dir.c (`get-dir`: every object under a prefix to a local folder).
 */
#ifndef TOSPUT_H
#define TOSPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tosupload.h"

/* The version of the library tosput is built with (set by the build), which `--version`
 * prints beside the one it runs with. */
#ifndef TOSPUT_VERSION
#define TOSPUT_VERSION "unknown"
#endif

/* The part sizes the library accepts, checked here so a bad --part-size is a usage error. */
#define TOSPUT_MIN_PART_SIZE ((uint64_t)5 << 20)
#define TOSPUT_MAX_PART_SIZE ((uint64_t)5 << 30)

/* Exit codes (also in --help). */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_CLIENT = 3,
    EXIT_PAUSED = 4,
    EXIT_ABORTED = 5,
    EXIT_SOME_FAILED = 6,
    EXIT_IN_USE = 7,
};

enum tosput_command { CMD_PUT = 1, CMD_PUT_DIR = 2, CMD_UPLOADS_LIST = 3, CMD_UPLOADS_ABORT = 4, CMD_GET = 5,
                      CMD_GET_DIR = 6 };

struct tosput_args {
    enum tosput_command command;
    const char *source;      /* FILE or DIR (for get, get-dir: the local destination); NULL for uploads */
    const char *target;      /* tos://BUCKET/... as given (points into argv) */
    char *bucket;            /* from tos://BUCKET/... (malloc'd) */
    char *key;               /* KEY (put, get) or PREFIX (put-dir, get-dir, uploads), resolved by destination.c
                              * (malloc'd) */
    uint64_t part_size;      /* 0 = library default */
    uint64_t rate;           /* bytes per second; 0 = unlimited */
    uint32_t tasks, files, connections;
    const char *checkpoint;  /* --checkpoint (put, get) or --checkpoint-dir (put-dir, get-dir) */
    int no_checkpoint;
    const char **include, **exclude; /* malloc'd arrays of argv strings */
    size_t include_count, exclude_count;
    int follow_symlinks, continue_on_error, abort_on_interrupt, quiet;
    int force_multipart, skip_existing;
    int s3;                  /* an s3:// destination: the S3 protocol */
    const char *endpoint_url; /* --endpoint(-url), points into argv; NULL = from the environment */
    const char *region;      /* --region, points into argv; NULL = from the environment */
    int anonymous;           /* --anonymous: unsigned requests, credentials not required */
    /* --proxy, --no-proxy, --ca-file, --client-cert, --client-key (point into argv; NULL = the
     * library's default: the environment's proxies, the system's roots, no client certificate) */
    const char *proxy, *no_proxy, *ca_file, *client_cert, *client_key;
    unsigned s3_checksum;    /* --s3-checksum: a TOS_S3_CHECKSUM_* value (0 = auto) */
    int64_t older_than;      /* uploads abort --older-than, in seconds; -1 = not given */
    uint32_t max_requests_per_second; /* 0 = no cap */
};

/* help.c: the --help texts, on stdout when asked for and on stderr after a mistake. */
void tosput_usage_main(FILE *out);
void tosput_usage_put(FILE *out);
void tosput_usage_put_dir(FILE *out);
void tosput_usage_uploads(FILE *out);
void tosput_usage_get(FILE *out);
void tosput_usage_get_dir(FILE *out);
/* tosput's version and the library's. */
void tosput_print_version(void);

/* Parses the command line. Returns -1 to go on, or an exit code to return at once (0 after
 * --help, EXIT_USAGE after a message on stderr). */
int tosput_parse_args(int argc, char **argv, struct tosput_args *args);
void tosput_args_free(struct tosput_args *args);

/* values.c. "20M" -> 20971520: a number (fraction allowed) with an optional binary suffix
 * K, M, G or T (KiB, MiB, ...; "B" and a trailing "/s" are accepted). Returns 0 on success. */
int tosput_parse_size(const char *text, uint64_t *out);
/* A size within TOSPUT_MIN_PART_SIZE..TOSPUT_MAX_PART_SIZE. */
int tosput_parse_part_size(const char *text, uint64_t *out);
/* 1..100000. */
int tosput_parse_count(const char *text, uint32_t *out);
/* "1h30m" -> 5400: one or more NUMBER UNIT pairs, units s, m, h, d. */
int tosput_parse_duration(const char *text, int64_t *out);

/* destination.c: sets s3, bucket and key of args from TARGET (args->command and, for put,
 * args->source must be set; for get TARGET is the object). Returns 0, or -1 with the reason
 * in why. */
int tosput_resolve_destination(struct tosput_args *args, const char *target, char *why, size_t why_len);

/* `tosput uploads list|abort` (uploads.c), on a client made from ARGS. Returns the exit code. */
int tosput_uploads_run(const tos_client *client, const struct tosput_args *args);

/* shown.c: NAME as printed, in OUT (OUT_LEN bytes, cut with "..." when longer): control
 * characters and bytes that are not UTF-8 as escapes (\n, \x01, \xff), a backslash as \\.
 * Returns OUT. TOSPUT_SHOWN_MAX holds any path (PATH_MAX bytes, each escaped at most 4x). */
#define TOSPUT_SHOWN_MAX (4 * 4096 + 4)
const char *tosput_shown(const char *name, char *out, size_t out_len);
/* 1 when TEXT is valid UTF-8, as object keys must be. */
int tosput_is_utf8(const char *text);

/* report.c */
void tosput_print_error(const char *what, tos_result rc, const tos_error *error);
/* TOS_ERR_CHECKPOINT_IN_USE: the error and what to do; returns EXIT_IN_USE. */
int tosput_in_use(const char *what, tos_result rc, const tos_error *error);
/* What an upload stored, read from a file's or a stream's output. */
struct tosput_stored {
    const char *bucket, *key, *etag, *upload_id, *location, *version_id, *request_id;
    uint64_t crc64, part_size, bytes_sent;
};
/* main.c: the result of an upload on stdout, one `name: value` line per field. */
void tosput_print_stored(const struct tosput_stored *stored);
/* Returns -1 when the credentials are there (or --anonymous), else prints
 * what to set and returns EXIT_CLIENT. Call before any thread starts. */
int tosput_check_credentials(const struct tosput_args *args);
/* tos_client_new failed: the error and what to set. */
void tosput_print_client_error(const struct tosput_args *args, tos_result rc, const tos_error *error);
/* 1 (after printing a hint) when the server refused the credentials, e.g. a wrong secret. */
int tosput_auth_failure(const tos_error *error, const struct tosput_args *args);
/* One failed file of put-dir or get-dir on stderr (path, key, code, message). Returns 1 when
 * the server refused the credentials; the hint is printed once, while `hinted` is 0. */
int tosput_report_failed_file(const char *path, const char *key, const tos_error *error,
                              const struct tosput_args *args, int hinted);

/* The progress display on stderr: a redrawn bar on a terminal (at most 10 redraws a
 * second), plain lines every 2 s otherwise, nothing when quiet. Not thread-safe: it is
 * only called from the upload callbacks, which run on the thread of the upload call. */
#define PROGRESS_SAMPLES 64
struct progress {
    int enabled, tty, dir_mode, drawn;
    double started, last_output;
    double sample_time[PROGRESS_SAMPLES];
    uint64_t sample_bytes[PROGRESS_SAMPLES];
    int sample_count, sample_next;
    uint64_t bytes_done, bytes_total, files_done, files_total, files_failed;
    int walk_complete;
    int unknown_total; /* a stream: bytes and rate, no bar, percent or ETA */
};

void progress_init(struct progress *p, int quiet, int dir_mode);
void progress_update(struct progress *p, uint64_t bytes_done, uint64_t bytes_total);
void progress_files(struct progress *p, uint64_t files_done, uint64_t files_total, uint64_t files_failed,
                    int walk_complete);
/* Draws the final state (when anything was drawn) and ends the bar's line. */
void progress_finish(struct progress *p);
/* Ends the bar's line so a message can be printed below it. */
void progress_break_line(struct progress *p);
/* "12.3 MiB" */
void format_bytes(double bytes, char *out, size_t len);
double now_seconds(void);

/* `put -`: uploads standard input (stream.c). `cancel_called(cancel_arg)` says whether
 * tos_cancel was called on `hook`, so a read waiting for input can give up. */
int tosput_put_stream(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                      const tos_rate_limiter *limiter, int (*cancel_called)(void *arg), void *cancel_arg);

/* `get tos://BUCKET/KEY FILE` (get.c). `abort_requested(abort_arg)` says whether a second
 * signal asked for an abort, for the message after a pause. Returns the exit code. */
int tosput_get(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
               const tos_rate_limiter *limiter, int (*abort_requested)(void *arg), void *abort_arg);

/* `get-dir tos://BUCKET[/PREFIX] DIR` (get_dir.c), with the same arguments as tosput_get.
 * Returns the exit code. */
int tosput_get_dir(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                   const tos_rate_limiter *limiter, int (*abort_requested)(void *arg), void *abort_arg);

#endif
