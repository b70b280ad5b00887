/* tosput's command line: subcommands, options, --help texts. */
#include "tosput.h"

#include <errno.h>
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
    "                          endpoint and credentials\n"
    "  TOS_LOG=debug           library log lines on stderr (never a secret)\n";

static const char COMMON_OPTIONS[] =
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

/* tos://BUCKET/REST: splits into bucket (malloc'd) and rest. */
static int split_target(const char *target, char **bucket, const char **rest) {
    const char *slash;
    if (strncmp(target, "tos://", 6) != 0) {
        return -1;
    }
    slash = strchr(target + 6, '/');
    if (slash == NULL || slash == target + 6) {
        return -1;
    }
    *bucket = strndup(target + 6, (size_t)(slash - (target + 6)));
    *rest = slash + 1;
    return *bucket ? 0 : -1;
}

int tosput_parse_args(int argc, char **argv, struct tosput_args *args) {
    const char *positional[2] = {NULL, NULL};
    int npositional = 0, i = 1, options_done = 0;

    memset(args, 0, sizeof *args);
    args->command = CMD_PUT;
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "put") == 0) {
        i = 2;
    } else if (strcmp(argv[1], "put-dir") == 0) {
        args->command = CMD_PUT_DIR;
        i = 2;
    } else if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage_main(stdout);
        return EXIT_OK;
    }
    for (; i < argc; i++) {
        char name[64];
        const char *arg = argv[i], *value = NULL, *eq;
        int is_dir = args->command == CMD_PUT_DIR;
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (npositional == 2) {
                return usage_error(args, "unexpected argument %s", arg);
            }
            positional[npositional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        /* --name=value or --name value */
        eq = strchr(arg, '=');
        if (eq != NULL && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
#define FLAG(n) (strcmp(name, n) == 0)
#define NEED_VALUE()                                                              \
    do {                                                                          \
        if (value == NULL) {                                                      \
            if (i + 1 >= argc) {                                                  \
                return usage_error(args, "%s needs a value", name);               \
            }                                                                     \
            value = argv[++i];                                                    \
        }                                                                         \
    } while (0)
#define DIR_ONLY()                                                                \
    do {                                                                          \
        if (!is_dir) {                                                            \
            return usage_error(args, "%s is an option of put-dir", name);         \
        }                                                                         \
    } while (0)
        if (FLAG("-h") || FLAG("--help")) {
            if (is_dir) {
                usage_put_dir(stdout);
            } else {
                usage_put(stdout);
            }
            return EXIT_OK;
        } else if (FLAG("--part-size")) {
            NEED_VALUE();
            if (tosput_parse_size(value, &args->part_size) != 0) {
                return usage_error(args, "--part-size needs a size like 20M, not '%s'", value);
            }
        } else if (FLAG("--limit-rate")) {
            NEED_VALUE();
            if (tosput_parse_size(value, &args->rate) != 0) {
                return usage_error(args, "--limit-rate needs a rate like 8M, not '%s'", value);
            }
        } else if (FLAG("--tasks")) {
            NEED_VALUE();
            if (parse_count(value, &args->tasks) != 0) {
                return usage_error(args, "--tasks needs a number from 1, not '%s'", value);
            }
        } else if (FLAG("--files")) {
            DIR_ONLY();
            NEED_VALUE();
            if (parse_count(value, &args->files) != 0) {
                return usage_error(args, "--files needs a number from 1, not '%s'", value);
            }
        } else if (FLAG("--connections")) {
            DIR_ONLY();
            NEED_VALUE();
            if (parse_count(value, &args->connections) != 0) {
                return usage_error(args, "--connections needs a number from 1, not '%s'", value);
            }
        } else if (FLAG("--checkpoint")) {
            if (is_dir) {
                return usage_error(args, "%s is an option of put; put-dir takes --checkpoint-dir", name);
            }
            NEED_VALUE();
            args->checkpoint = value;
        } else if (FLAG("--checkpoint-dir")) {
            DIR_ONLY();
            NEED_VALUE();
            args->checkpoint = value;
        } else if (FLAG("--no-checkpoint")) {
            args->no_checkpoint = 1;
        } else if (FLAG("--include") || FLAG("--exclude")) {
            int include = FLAG("--include");
            DIR_ONLY();
            NEED_VALUE();
            if ((include ? push(&args->include, &args->include_count, value)
                         : push(&args->exclude, &args->exclude_count, value)) != 0) {
                fprintf(stderr, "tosput: out of memory\n");
                return EXIT_FAILED;
            }
        } else if (FLAG("--follow-symlinks")) {
            DIR_ONLY();
            args->follow_symlinks = 1;
        } else if (FLAG("--continue-on-error")) {
            DIR_ONLY();
            args->continue_on_error = 1;
        } else if (FLAG("--abort-on-interrupt")) {
            args->abort_on_interrupt = 1;
        } else if (FLAG("-q") || FLAG("--quiet")) {
            args->quiet = 1;
        } else {
            return usage_error(args, "unknown option %s", arg);
        }
        if (eq != NULL && value == eq + 1 && !(FLAG("--part-size") || FLAG("--limit-rate") || FLAG("--tasks") ||
                                               FLAG("--files") || FLAG("--connections") || FLAG("--checkpoint") ||
                                               FLAG("--checkpoint-dir") || FLAG("--include") || FLAG("--exclude"))) {
            return usage_error(args, "%s takes no value", name);
        }
#undef FLAG
#undef NEED_VALUE
#undef DIR_ONLY
    }
    if (npositional < 2) {
        return usage_error(args, "%s", args->command == CMD_PUT_DIR ? "put-dir needs DIR and tos://BUCKET/PREFIX/"
                                                                     : "put needs FILE and tos://BUCKET/KEY");
    }
    args->source = positional[0];
    if (split_target(positional[1], &args->bucket, &args->key) != 0) {
        return usage_error(args, "'%s' is not tos://BUCKET/KEY", positional[1]);
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
