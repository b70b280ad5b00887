/* tosput's command line: subcommands, options, --help texts. */

/* glibc documents getopt_long as a GNU extension (_GNU_SOURCE). Only this file asks for it,
 * so the rest of tosput keeps to POSIX 2008 (_POSIX_C_SOURCE, set by the build). */
#define _GNU_SOURCE

#include "tosput.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char EXIT_CODES[] =
    "exit codes:\n"
    "  0  success\n"
    "  1  the upload failed (the error is printed)\n"
    "  2  bad command line\n"
    "  3  client or configuration error (endpoint, region, credentials)\n"
    "  4  paused by Ctrl-C (SIGINT) or SIGTERM; run the same command again to resume\n"
    "  5  aborted (a second Ctrl-C, or --abort-on-interrupt)\n"
    "  6  put-dir: some files failed (they are listed; the others went up)\n";

static const char ENVIRONMENT[] =
    "environment:\n"
    "  TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY, TOS_SECURITY_TOKEN\n"
    "                          endpoint and credentials for tos:// destinations\n"
    "  AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
    "  AWS_SESSION_TOKEN       the same for s3:// destinations (the S3 protocol)\n"
    "  TOS_LOG=debug           library log lines on stderr (never a secret)\n";

static const char COMMON_OPTIONS[] =
    "  --endpoint-url URL      the server, e.g. https://tos-s3-cn-beijing.volces.com\n"
    "                          (default: TOS_ENDPOINT, or AWS_ENDPOINT_URL for s3://)\n"
    "  --part-size SIZE        bytes per part, 5M..5G (default 20M); K/M/G/T are binary\n"
    "  --tasks N               parts sent at once per file (default 4)\n"
    "  --limit-rate RATE       at most RATE bytes per second in total, e.g. 8M\n";

static const char TAIL_OPTIONS[] =
    "  --abort-on-interrupt    Ctrl-C aborts (deletes the upload and the checkpoint)\n"
    "                          instead of pausing\n"
    "  -q, --quiet             no progress display\n"
    "  -h, --help              this text\n";

static void usage_main(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET/KEY\n"
            "       tosput put-dir [options] DIR tos://BUCKET/PREFIX/\n"
            "       tosput [options] FILE tos://BUCKET/KEY      (same as put)\n"
            "       (s3://BUCKET/... instead of tos:// speaks the S3 protocol)\n"
            "\n"
            "Resumable, parallel, verified (CRC-64) uploads to Volcengine TOS.\n"
            "`tosput put --help` and `tosput put-dir --help` list the options.\n"
            "\n"
            "Ctrl-C pauses an upload (run the same command again to resume it);\n"
            "a second Ctrl-C while it pauses aborts it.\n"
            "\n%s\n%s",
            ENVIRONMENT, EXIT_CODES);
}

static void usage_put(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET/KEY\n"
            "\n"
            "Uploads FILE to TOS as KEY with a resumable, parallel multipart upload.\n"
            "FILE - reads standard input (not resumable; parts held in memory).\n"
            "\n"
            "options:\n%s"
            "  --checkpoint PATH       checkpoint file, or a directory to put it in\n"
            "                          (default: beside FILE)\n"
            "  --no-checkpoint         record no progress (an interrupted upload restarts)\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses: the parts sent and the checkpoint are kept,\n"
            "and the same command resumes. A second Ctrl-C while pausing aborts.\n"
            "A progress bar is drawn on stderr when it is a terminal, else a line every 2 s.\n"
            "The result (etag, crc64, ...) is printed on stdout.\n"
            "\n%s\n%s",
            COMMON_OPTIONS, TAIL_OPTIONS, ENVIRONMENT, EXIT_CODES);
}

static void usage_put_dir(FILE *out) {
    fprintf(out,
            "usage: tosput put-dir [options] DIR tos://BUCKET/PREFIX/\n"
            "\n"
            "Uploads every file under DIR as PREFIX + its path relative to DIR (with /).\n"
            "Small files go up in one request, files of --part-size or more by multipart.\n"
            "\n"
            "options:\n%s"
            "  --files N               files uploaded at once (default 4)\n"
            "  --connections N         requests in flight at once over all files (default 16)\n"
            "  --include GLOB          upload only matching files (repeatable)\n"
            "  --exclude GLOB          leave matching files out (repeatable)\n"
            "                          GLOB: * within a path segment, ** across segments,\n"
            "                          ?, [a-z]; with a / it matches the path relative to\n"
            "                          DIR, without one the file name\n"
            "  --follow-symlinks       upload what symbolic links point to (default: skip them)\n"
            "  --continue-on-error     go on after a file fails (default: start no new file)\n"
            "  --checkpoint-dir DIR    record finished files and parts in DIR so an\n"
            "                          interrupted upload resumes (default: none)\n"
            "  --no-checkpoint         no checkpoint directory, even if one is given\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses; with --checkpoint-dir the same command\n"
            "resumes and skips finished files. A second Ctrl-C while pausing aborts.\n"
            "A summary is printed on stdout, failed files on stderr.\n"
            "\n%s\n%s",
            COMMON_OPTIONS, TAIL_OPTIONS, ENVIRONMENT, EXIT_CODES);
}

int tosput_parse_size(const char *text, uint64_t *out) {
    char *end;
    double value, scale = 1;
    if (text == NULL || *text == '\0' || *text == '-' || *text == '+') {
        return -1;
    }
    errno = 0;
    value = strtod(text, &end);
    if (end == text || errno != 0 || !(value >= 0)) {
        return -1;
    }
    switch (*end) {
    case 'k': case 'K': scale = 1024.0; end++; break;
    case 'm': case 'M': scale = 1024.0 * 1024; end++; break;
    case 'g': case 'G': scale = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (scale > 1 && (*end == 'i' || *end == 'I')) {
        end++;
    }
    if (*end == 'b' || *end == 'B') {
        end++;
    }
    if (strcmp(end, "/s") == 0) {
        end += 2;
    }
    value *= scale;
    if (*end != '\0' || value > 1.8e19 || value != (double)(uint64_t)value) {
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

static int parse_count(const char *text, uint32_t *out) {
    uint64_t value;
    char *end;
    if (text == NULL || *text < '0' || *text > '9') {
        return -1;
    }
    errno = 0;
    value = strtoull(text, &end, 10);
    if (*end != '\0' || errno != 0 || value == 0 || value > 100000) {
        return -1;
    }
    *out = (uint32_t)value;
    return 0;
}

static int usage_error(const struct tosput_args *args, const char *fmt, const char *what) {
    fprintf(stderr, "tosput: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nrun `tosput %s--help` for the options\n",
            args->command == CMD_PUT_DIR ? "put-dir " : "put ");
    return EXIT_USAGE;
}

static int push(const char ***array, size_t *count, const char *value) {
    const char **grown = realloc((void *)*array, (*count + 1) * sizeof **array);
    if (grown == NULL) {
        return -1;
    }
    grown[(*count)++] = value;
    *array = grown;
    return 0;
}

/* tos://BUCKET/REST or s3://BUCKET/REST: the protocol, the bucket (malloc'd) and the rest. */
static int split_target(const char *target, int *s3, char **bucket, const char **rest) {
    const char *slash, *after;
    if (strncmp(target, "tos://", 6) == 0) {
        *s3 = 0;
        after = target + 6;
    } else if (strncmp(target, "s3://", 5) == 0) {
        *s3 = 1;
        after = target + 5;
    } else {
        return -1;
    }
    slash = strchr(after, '/');
    if (slash == NULL || slash == after) {
        return -1;
    }
    *bucket = strndup(after, (size_t)(slash - after));
    *rest = slash + 1;
    return *bucket ? 0 : -1;
}

/* Values above any char, so they cannot be mistaken for a short option. */
enum {
    OPT_PART_SIZE = 256,
    OPT_LIMIT_RATE,
    OPT_TASKS,
    OPT_FILES,
    OPT_CONNECTIONS,
    OPT_CHECKPOINT,
    OPT_CHECKPOINT_DIR,
    OPT_NO_CHECKPOINT,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_FOLLOW_SYMLINKS,
    OPT_CONTINUE_ON_ERROR,
    OPT_ABORT_ON_INTERRUPT,
    OPT_ENDPOINT_URL,
};

/* One table for both subcommands, so an option of the other one gets a message naming the
 * right subcommand rather than "unknown option". */
static const struct option LONG_OPTIONS[] = {
    {"part-size", required_argument, NULL, OPT_PART_SIZE},
    {"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
    {"tasks", required_argument, NULL, OPT_TASKS},
    {"files", required_argument, NULL, OPT_FILES},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"checkpoint-dir", required_argument, NULL, OPT_CHECKPOINT_DIR},
    {"no-checkpoint", no_argument, NULL, OPT_NO_CHECKPOINT},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"follow-symlinks", no_argument, NULL, OPT_FOLLOW_SYMLINKS},
    {"continue-on-error", no_argument, NULL, OPT_CONTINUE_ON_ERROR},
    {"abort-on-interrupt", no_argument, NULL, OPT_ABORT_ON_INTERRUPT},
    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT_URL},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* '-': operands come back in order as option 1, whatever POSIXLY_CORRECT says, so options
 * may follow FILE as they always could, a third operand is reported where it stands, and
 * argv is not permuted. ':': a missing value is returned as ':' so our message is printed,
 * not getopt's. */
static const char SHORT_OPTIONS[] = "-:hq";

/* "--tasks" for the messages, whether the user typed it in full or abbreviated. */
static const char *option_name(int val, char *buf, size_t len) {
    const struct option *o;
    for (o = LONG_OPTIONS; o->name != NULL; o++) {
        if (o->val == val) {
            snprintf(buf, len, "--%s", o->name);
            return buf;
        }
    }
    snprintf(buf, len, "-%c", val);
    return buf;
}

static int dir_only(int val) {
    switch (val) {
    case OPT_FILES:
    case OPT_CONNECTIONS:
    case OPT_CHECKPOINT_DIR:
    case OPT_INCLUDE:
    case OPT_EXCLUDE:
    case OPT_FOLLOW_SYMLINKS:
    case OPT_CONTINUE_ON_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* getopt_long reports '?' for an unknown option, an ambiguous abbreviation and a value given
 * to an option that takes none; optopt tells them apart. */
static int bad_option(const struct tosput_args *args, char **argv, int optind_after) {
    char name[64];
    const struct option *o;
    if (optopt == 0) { /* a long option: getopt has already stepped past it */
        const char *arg = argv[optind_after - 1], *typed = arg + 2;
        size_t len = strcspn(typed, "=");
        int matches = 0;
        for (o = LONG_OPTIONS; o->name != NULL; o++) {
            matches += strncmp(o->name, typed, len) == 0;
        }
        return usage_error(args, matches > 1 ? "ambiguous option %s" : "unknown option %s", arg);
    }
    for (o = LONG_OPTIONS; o->name != NULL; o++) {
        if (o->val == optopt) {
            return usage_error(args, "%s takes no value", option_name(optopt, name, sizeof name));
        }
    }
    snprintf(name, sizeof name, "-%c", optopt);
    return usage_error(args, "unknown option %s", name);
}

int tosput_parse_args(int argc, char **argv, struct tosput_args *args) {
    const char *positional[2] = {NULL, NULL};
    int npositional = 0, first = 1, opt;
    char name[64];
    char **list;
    int count;

    memset(args, 0, sizeof *args);
    args->command = CMD_PUT;
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "put") == 0) {
        first = 2;
    } else if (strcmp(argv[1], "put-dir") == 0) {
        args->command = CMD_PUT_DIR;
        first = 2;
    } else if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage_main(stdout);
        return EXIT_OK;
    }
    /* The subcommand, if any, stands in for argv[0]: getopt starts at element 1. */
    list = argv + first - 1;
    count = argc - first + 1;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(count, list, SHORT_OPTIONS, LONG_OPTIONS, NULL)) != -1) {
        int is_dir = args->command == CMD_PUT_DIR;
        if (dir_only(opt) && !is_dir) {
            return usage_error(args, "%s is an option of put-dir", option_name(opt, name, sizeof name));
        }
        switch (opt) {
        case 1:
            if (npositional == 2) {
                return usage_error(args, "unexpected argument %s", optarg);
            }
            positional[npositional++] = optarg;
            break;
        case ':':
            return usage_error(args, "%s needs a value", option_name(optopt, name, sizeof name));
        case '?':
            return bad_option(args, list, optind);
        case 'h':
            if (is_dir) {
                usage_put_dir(stdout);
            } else {
                usage_put(stdout);
            }
            return EXIT_OK;
        case OPT_PART_SIZE:
            if (tosput_parse_size(optarg, &args->part_size) != 0) {
                return usage_error(args, "--part-size needs a size like 20M, not '%s'", optarg);
            }
            break;
        case OPT_LIMIT_RATE:
            if (tosput_parse_size(optarg, &args->rate) != 0) {
                return usage_error(args, "--limit-rate needs a rate like 8M, not '%s'", optarg);
            }
            break;
        case OPT_TASKS:
            if (parse_count(optarg, &args->tasks) != 0) {
                return usage_error(args, "--tasks needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_FILES:
            if (parse_count(optarg, &args->files) != 0) {
                return usage_error(args, "--files needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_CONNECTIONS:
            if (parse_count(optarg, &args->connections) != 0) {
                return usage_error(args, "--connections needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_CHECKPOINT:
            if (is_dir) {
                return usage_error(args, "%s is an option of put; put-dir takes --checkpoint-dir", "--checkpoint");
            }
            args->checkpoint = optarg;
            break;
        case OPT_CHECKPOINT_DIR:
            args->checkpoint = optarg;
            break;
        case OPT_NO_CHECKPOINT:
            args->no_checkpoint = 1;
            break;
        case OPT_INCLUDE:
        case OPT_EXCLUDE:
            if ((opt == OPT_INCLUDE ? push(&args->include, &args->include_count, optarg)
                                    : push(&args->exclude, &args->exclude_count, optarg)) != 0) {
                fprintf(stderr, "tosput: out of memory\n");
                return EXIT_FAILED;
            }
            break;
        case OPT_FOLLOW_SYMLINKS:
            args->follow_symlinks = 1;
            break;
        case OPT_CONTINUE_ON_ERROR:
            args->continue_on_error = 1;
            break;
        case OPT_ABORT_ON_INTERRUPT:
            args->abort_on_interrupt = 1;
            break;
        case OPT_ENDPOINT_URL:
            args->endpoint_url = optarg;
            break;
        case 'q':
            args->quiet = 1;
            break;
        default: /* an entry of LONG_OPTIONS without a case above */
            return usage_error(args, "unhandled option %s", option_name(opt, name, sizeof name));
        }
    }
    /* After "--", getopt stops and leaves the rest as operands. */
    for (; optind < count; optind++) {
        if (npositional == 2) {
            return usage_error(args, "unexpected argument %s", list[optind]);
        }
        positional[npositional++] = list[optind];
    }
    if (npositional < 2) {
        return usage_error(args, "%s", args->command == CMD_PUT_DIR ? "put-dir needs DIR and tos://BUCKET/PREFIX/"
                                                                     : "put needs FILE and tos://BUCKET/KEY");
    }
    args->source = positional[0];
    if (split_target(positional[1], &args->s3, &args->bucket, &args->key) != 0) {
        return usage_error(args, "'%s' is not tos://BUCKET/KEY or s3://BUCKET/KEY", positional[1]);
    }
    if (args->command == CMD_PUT && args->key[0] == '\0') {
        return usage_error(args, "'%s' has no object key after the bucket", positional[1]);
    }
    return -1;
}

void tosput_args_free(struct tosput_args *args) {
    free(args->bucket);
    free((void *)args->include);
    free((void *)args->exclude);
}
