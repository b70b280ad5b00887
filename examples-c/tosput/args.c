/* tosput's command line: subcommands, options, --help texts. */

/* glibc documents getopt_long as a GNU extension (_GNU_SOURCE). Only this file asks for it,
 * so the rest of tosput keeps to POSIX 2008 (_POSIX_C_SOURCE, set by the build). */
#define _GNU_SOURCE

#include "tosput.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char EXIT_CODES[] =
    "exit codes:\n"
    "  0  success\n"
    "  1  the upload failed (the error is printed)\n"
    "  2  bad command line (an unknown option, a bad value, a bad destination)\n"
    "  3  configuration: no or incomplete credentials (without --anonymous), a bad\n"
    "     endpoint or region, or the server refused the credentials (HTTP 403)\n"
    "  4  paused by Ctrl-C (SIGINT) or SIGTERM; run the same command again to resume\n"
    "  5  aborted (a second Ctrl-C or SIGTERM while pausing, or --abort-on-interrupt)\n"
    "  6  put-dir: some files failed (they are listed; the others went up)\n";

static const char DESTINATIONS[] =
    "destinations (as aws s3 cp and tosutil; s3:// alike):\n"
    "  put FILE tos://b/dir/name     -> object dir/name\n"
    "  put FILE tos://b/dir/         -> object dir/ + FILE's name\n"
    "  put FILE tos://b              -> object FILE's name (tos://b/ too)\n"
    "  put-dir DIR tos://b/dir       -> dir/ + each path under DIR (dir/ alike)\n"
    "  put-dir DIR tos://b           -> each path under DIR, no prefix\n";

static const char ENVIRONMENT[] =
    "environment:\n"
    "  TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY, TOS_SECURITY_TOKEN\n"
    "                          endpoint and credentials for tos:// destinations\n"
    "  AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
    "  AWS_SESSION_TOKEN       the same for s3:// destinations (the S3 protocol)\n"
    "  TOS_LOG=debug           library log lines on stderr (never a secret)\n";

static const char COMMON_OPTIONS[] =
    "  --endpoint URL          the server, e.g. https://tos-cn-beijing.volces.com\n"
    "                          (also --endpoint-url; default: TOS_ENDPOINT, else made\n"
    "                          from the region; AWS_ENDPOINT_URL for s3://)\n"
    "  --region REGION         e.g. cn-beijing (default: TOS_REGION, AWS_REGION for s3://)\n"
    "  --anonymous             send unsigned requests; without it, missing credentials\n"
    "                          are an error (exit 3)\n"
    "  --part-size SIZE        bytes per part, 5M..5G (default 20M); K/M/G/T are binary\n"
    "  --tasks N               parts sent at once per file (default 4)\n"
    "  --limit-rate RATE       at most RATE bytes per second in total, e.g. 8M\n";

static const char TAIL_OPTIONS[] =
    "  --abort-on-interrupt    Ctrl-C aborts (deletes the upload and the checkpoint)\n"
    "                          instead of pausing\n"
    "  -q, --quiet             no progress display\n"
    "  -h, --help              this text\n"
    "  --version               the versions of tosput and of the library\n";

static void print_version(void) {
    printf("tosput %s (libtosupload %s)\n", TOSPUT_VERSION, tos_version());
}

static void usage_main(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET[/KEY or /PREFIX/]\n"
            "       tosput put-dir [options] DIR tos://BUCKET[/PREFIX]\n"
            "       tosput [options] FILE tos://BUCKET/KEY      (same as put)\n"
            "       tosput --version\n"
            "       tosput uploads list|abort ... tos://BUCKET[/PREFIX]\n"
            "                                     (open multipart uploads: `tosput uploads --help`)\n"
            "       (s3://BUCKET/... instead of tos:// speaks the S3 protocol)\n"
            "\n"
            "Resumable, parallel, verified (CRC-64) uploads to Volcengine TOS.\n"
            "`tosput put --help` and `tosput put-dir --help` list the options.\n"
            "\n"
            "Ctrl-C pauses an upload (run the same command again to resume it);\n"
            "a second Ctrl-C while it pauses aborts it.\n"
            "\n%s\n%s\n%s",
            DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

static void usage_put(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET[/KEY or /PREFIX/]\n"
            "\n"
            "Uploads FILE to TOS as KEY with a resumable, parallel multipart upload.\n"
            "A destination ending in / (or only the bucket) gets FILE's name added.\n"
            "\n"
            "options:\n%s"
            "  --checkpoint PATH       checkpoint file, or a directory to put it in\n"
            "                          (default: beside FILE)\n"
            "  --no-checkpoint         record no progress (an interrupted upload restarts)\n"
            "  --force-multipart       multipart even when FILE is smaller than a part\n"
            "                          (default: such a file goes up in one request)\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses: the parts sent and the checkpoint are kept,\n"
            "and the same command resumes. A second Ctrl-C while pausing aborts.\n"
            "A progress bar is drawn on stderr when it is a terminal, else a line every 2 s.\n"
            "The result (etag, crc64, ...) is printed on stdout.\n"
            "\n%s\n%s\n%s",
            COMMON_OPTIONS, TAIL_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

static void usage_put_dir(FILE *out) {
    fprintf(out,
            "usage: tosput put-dir [options] DIR tos://BUCKET[/PREFIX]\n"
            "\n"
            "Uploads every file under DIR as PREFIX/ + its path relative to DIR (with /).\n"
            "PREFIX is a folder: tos://b/dir and tos://b/dir/ both put DIR/a.txt at dir/a.txt.\n"
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
            "  --skip-existing         leave out files already at their key with the same\n"
            "                          size and checksum (one HEAD per file)\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses; with --checkpoint-dir the same command\n"
            "resumes and skips finished files. A second Ctrl-C while pausing aborts.\n"
            "A summary is printed on stdout, failed files on stderr, and a last line of\n"
            "files and bytes uploaded, skipped and failed.\n"
            "\n%s\n%s\n%s",
            COMMON_OPTIONS, TAIL_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
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
    OPT_REGION,
    OPT_ANONYMOUS,
    OPT_VERSION,
    OPT_FORCE_MULTIPART,
    OPT_SKIP_EXISTING,
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
    {"endpoint", required_argument, NULL, OPT_ENDPOINT_URL},
    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT_URL},
    {"region", required_argument, NULL, OPT_REGION},
    {"anonymous", no_argument, NULL, OPT_ANONYMOUS},
    {"version", no_argument, NULL, OPT_VERSION},
    {"force-multipart", no_argument, NULL, OPT_FORCE_MULTIPART},
    {"skip-existing", no_argument, NULL, OPT_SKIP_EXISTING},
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
    case OPT_SKIP_EXISTING:
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
    char name[64], why[512];
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
    } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        print_version();
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
        if (opt == OPT_FORCE_MULTIPART && is_dir) {
            return usage_error(args, "%s is an option of put", option_name(opt, name, sizeof name));
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
            if (tosput_parse_part_size(optarg, &args->part_size) != 0) {
                return usage_error(args, "--part-size needs a size from 5M to 5G, like 20M, not '%s'", optarg);
            }
            break;
        case OPT_LIMIT_RATE:
            if (tosput_parse_size(optarg, &args->rate) != 0) {
                return usage_error(args, "--limit-rate needs a rate like 8M, not '%s'", optarg);
            }
            break;
        case OPT_TASKS:
            if (tosput_parse_count(optarg, &args->tasks) != 0) {
                return usage_error(args, "--tasks needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_FILES:
            if (tosput_parse_count(optarg, &args->files) != 0) {
                return usage_error(args, "--files needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_CONNECTIONS:
            if (tosput_parse_count(optarg, &args->connections) != 0) {
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
        case OPT_FORCE_MULTIPART:
            args->force_multipart = 1;
            break;
        case OPT_SKIP_EXISTING:
            args->skip_existing = 1;
            break;
        case OPT_ABORT_ON_INTERRUPT:
            args->abort_on_interrupt = 1;
            break;
        case OPT_ENDPOINT_URL:
            args->endpoint_url = optarg;
            break;
        case OPT_REGION:
            args->region = optarg;
            break;
        case OPT_ANONYMOUS:
            args->anonymous = 1;
            break;
        case OPT_VERSION:
            print_version();
            return EXIT_OK;
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
        return usage_error(args, "%s", args->command == CMD_PUT_DIR ? "put-dir needs DIR and tos://BUCKET[/PREFIX]"
                                                                     : "put needs FILE and tos://BUCKET[/KEY]");
    }
    args->source = positional[0];
    if (tosput_resolve_destination(args, positional[1], why, sizeof why) != 0) {
        return usage_error(args, "%s", why);
    }
    return -1;
}

void tosput_args_free(struct tosput_args *args) {
    free(args->bucket);
    free(args->key);
    free((void *)args->include);
    free((void *)args->exclude);
}
