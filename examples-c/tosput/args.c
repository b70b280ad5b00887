/* tosput's command line: subcommands and options (the --help texts are help.c's). One
 * getopt_long parser for every subcommand (put, put-dir, get, get-dir, uploads list, uploads abort), so they
 * all take the connection options (--endpoint, --region, --anonymous, --proxy, --ca-file, ...) the same way and word
 * their errors alike. */

/* glibc documents getopt_long as a GNU extension (_GNU_SOURCE). Only this file asks for it,
 * so the rest of tosput keeps to POSIX 2008 (_POSIX_C_SOURCE, set by the build). */
#define _GNU_SOURCE

#include "tosput.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int is_uploads(const struct tosput_args *args) {
    return args->command == CMD_UPLOADS_LIST || args->command == CMD_UPLOADS_ABORT;
}

static const char *command_name(const struct tosput_args *args) {
    switch (args->command) {
    case CMD_PUT_DIR: return "put-dir";
    case CMD_GET: return "get";
    case CMD_GET_DIR: return "get-dir";
    case CMD_UPLOADS_LIST: return "uploads list";
    case CMD_UPLOADS_ABORT: return "uploads abort";
    default: return "put";
    }
}

static int usage_error(const struct tosput_args *args, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "tosput: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun `tosput %s --help` for the options\n",
            is_uploads(args) ? "uploads" : command_name(args));
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
    OPT_OLDER_THAN,
    OPT_VERSION,
    OPT_FORCE_MULTIPART,
    OPT_SKIP_EXISTING,
    OPT_PROXY,
    OPT_NO_PROXY,
    OPT_CA_FILE,
    OPT_CLIENT_CERT,
    OPT_CLIENT_KEY,
    OPT_S3_CHECKSUM,
    OPT_MAX_REQUESTS_PER_SECOND,
};

/* One table for all subcommands, so an option of another one gets a message naming the
 * subcommand it belongs to rather than "unknown option" (see owner below). */
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
    {"older-than", required_argument, NULL, OPT_OLDER_THAN},
    {"version", no_argument, NULL, OPT_VERSION},
    {"force-multipart", no_argument, NULL, OPT_FORCE_MULTIPART},
    {"skip-existing", no_argument, NULL, OPT_SKIP_EXISTING},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"no-proxy", required_argument, NULL, OPT_NO_PROXY},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"client-cert", required_argument, NULL, OPT_CLIENT_CERT},
    {"client-key", required_argument, NULL, OPT_CLIENT_KEY},
    {"s3-checksum", required_argument, NULL, OPT_S3_CHECKSUM},
    {"max-requests-per-second", required_argument, NULL, OPT_MAX_REQUESTS_PER_SECOND},
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

/* NULL when COMMAND takes option VAL, else the subcommand(s) it belongs to. The connection
 * options, --help and --version belong to all. */
static const char *owner(enum tosput_command command, int val) {
    switch (val) {
    case OPT_FILES:
    case OPT_CHECKPOINT_DIR:
    case OPT_INCLUDE:
    case OPT_EXCLUDE:
    case OPT_CONTINUE_ON_ERROR:
    case OPT_SKIP_EXISTING:
        return command == CMD_PUT_DIR || command == CMD_GET_DIR ? NULL : "put-dir and get-dir";
    case OPT_CONNECTIONS:
    case OPT_FOLLOW_SYMLINKS:
        return command == CMD_PUT_DIR ? NULL : "put-dir";
    case OPT_FORCE_MULTIPART:
        return command == CMD_PUT ? NULL : "put";
    case OPT_CHECKPOINT: /* put-dir's own message: it takes --checkpoint-dir instead */
        return command == CMD_UPLOADS_LIST || command == CMD_UPLOADS_ABORT ? "put and get" : NULL;
    case OPT_NO_CHECKPOINT: /* get-dir keeps no checkpoint unless --checkpoint-dir asks for one */
        return command == CMD_PUT || command == CMD_PUT_DIR || command == CMD_GET ? NULL : "put, put-dir and get";
    case OPT_PART_SIZE:
    case OPT_LIMIT_RATE:
    case OPT_TASKS:
    case OPT_ABORT_ON_INTERRUPT:
    case 'q':
        return command == CMD_UPLOADS_LIST || command == CMD_UPLOADS_ABORT ? "put, put-dir, get and get-dir" : NULL;
    case OPT_OLDER_THAN:
        return command == CMD_UPLOADS_ABORT ? NULL : "`uploads abort`";
    default:
        return NULL;
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

/* --s3-checksum's words for the TOS_S3_CHECKSUM_* values. */
static int parse_s3_checksum(const char *text, unsigned *out) {
    static const struct {
        const char *name;
        unsigned value;
    } MODES[] = {
        {"auto", TOS_S3_CHECKSUM_AUTO},     {"trailer", TOS_S3_CHECKSUM_TRAILER},
        {"header", TOS_S3_CHECKSUM_HEADER}, {"md5", TOS_S3_CHECKSUM_CONTENT_MD5},
        {"none", TOS_S3_CHECKSUM_NONE},
    };
    size_t i;
    for (i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        if (strcmp(text, MODES[i].name) == 0) {
            *out = MODES[i].value;
            return 0;
        }
    }
    return -1;
}

static int is_help(const char *arg) {
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0;
}

/* Sets args->command from the words before the options, and *first to the index of the
 * first argument after them. Returns -1 to go on, or an exit code. */
static int pick_command(int argc, char **argv, struct tosput_args *args, int *first) {
    args->command = CMD_PUT; /* `tosput FILE tos://...` is put */
    *first = 1;
    if (argc < 2) {
        tosput_usage_main(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "put") == 0) {
        *first = 2;
    } else if (strcmp(argv[1], "put-dir") == 0) {
        args->command = CMD_PUT_DIR;
        *first = 2;
    } else if (strcmp(argv[1], "get") == 0) {
        args->command = CMD_GET;
        *first = 2;
    } else if (strcmp(argv[1], "get-dir") == 0) {
        args->command = CMD_GET_DIR;
        *first = 2;
    } else if (strcmp(argv[1], "uploads") == 0) {
        args->command = CMD_UPLOADS_LIST; /* until the next word says which */
        if (argc < 3) {
            tosput_usage_uploads(stderr);
            return EXIT_USAGE;
        }
        if (is_help(argv[2])) {
            tosput_usage_uploads(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[2], "abort") == 0) {
            args->command = CMD_UPLOADS_ABORT;
        } else if (strcmp(argv[2], "list") != 0) {
            return usage_error(args, "unknown uploads command '%s' (list or abort)", argv[2]);
        }
        *first = 3;
    } else if (is_help(argv[1])) {
        tosput_usage_main(stdout);
        return EXIT_OK;
    } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        tosput_print_version();
        return EXIT_OK;
    }
    return -1;
}

int tosput_parse_args(int argc, char **argv, struct tosput_args *args) {
    const char *positional[2] = {NULL, NULL};
    int npositional = 0, first = 1, opt, status;
    char name[64], why[512];
    char **list;
    int count, uploads, wanted;
    const char *belongs;

    memset(args, 0, sizeof *args);
    args->older_than = -1;
    status = pick_command(argc, argv, args, &first);
    if (status >= 0) {
        return status;
    }
    uploads = is_uploads(args);
    wanted = uploads ? 1 : 2; /* the location; or FILE or DIR and the destination */
    /* The subcommand's last word, if any, stands in for argv[0]: getopt starts at element 1. */
    list = argv + first - 1;
    count = argc - first + 1;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(count, list, SHORT_OPTIONS, LONG_OPTIONS, NULL)) != -1) {
        int is_dir = args->command == CMD_PUT_DIR || args->command == CMD_GET_DIR;
        if ((belongs = owner(args->command, opt)) != NULL) {
            return usage_error(args, "%s is an option of %s", option_name(opt, name, sizeof name), belongs);
        }
        switch (opt) {
        case 1:
            if (npositional == wanted) {
                return usage_error(args, "unexpected argument %s", optarg);
            }
            positional[npositional++] = optarg;
            break;
        case ':':
            return usage_error(args, "%s needs a value", option_name(optopt, name, sizeof name));
        case '?':
            return bad_option(args, list, optind);
        case 'h':
            if (uploads) {
                tosput_usage_uploads(stdout);
            } else if (args->command == CMD_GET_DIR) {
                tosput_usage_get_dir(stdout);
            } else if (is_dir) {
                tosput_usage_put_dir(stdout);
            } else if (args->command == CMD_GET) {
                tosput_usage_get(stdout);
            } else {
                tosput_usage_put(stdout);
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
                return usage_error(args, "--checkpoint is an option of put and get; %s takes --checkpoint-dir",
                                   command_name(args));
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
        case OPT_PROXY:
            args->proxy = optarg;
            break;
        case OPT_NO_PROXY:
            args->no_proxy = optarg;
            break;
        case OPT_CA_FILE:
            args->ca_file = optarg;
            break;
        case OPT_CLIENT_CERT:
            args->client_cert = optarg;
            break;
        case OPT_CLIENT_KEY:
            args->client_key = optarg;
            break;
        case OPT_S3_CHECKSUM:
            if (parse_s3_checksum(optarg, &args->s3_checksum) != 0) {
                return usage_error(args, "--s3-checksum takes auto, trailer, header, md5 or none, not '%s'", optarg);
            }
            break;
        case OPT_MAX_REQUESTS_PER_SECOND:
            if (tosput_parse_count(optarg, &args->max_requests_per_second) != 0) {
                return usage_error(args, "--max-requests-per-second needs a number from 1, not '%s'", optarg);
            }
            break;
        case OPT_OLDER_THAN:
            if (tosput_parse_duration(optarg, &args->older_than) != 0) {
                return usage_error(args, "--older-than needs a duration like 24h, 30m or 0s, not '%s'", optarg);
            }
            break;
        case OPT_VERSION:
            tosput_print_version();
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
        if (npositional == wanted) {
            return usage_error(args, "unexpected argument %s", list[optind]);
        }
        positional[npositional++] = list[optind];
    }
    if (npositional < wanted) {
        return usage_error(args, "%s needs %s", command_name(args),
                           uploads                          ? "tos://BUCKET[/PREFIX]"
                           : args->command == CMD_PUT_DIR ? "DIR and tos://BUCKET[/PREFIX]"
                           : args->command == CMD_GET     ? "tos://BUCKET/KEY and FILE"
                           : args->command == CMD_GET_DIR ? "tos://BUCKET[/PREFIX] and DIR"
                                                            : "FILE and tos://BUCKET[/KEY]");
    }
    /* An upload in flight differs from an abandoned one only by its age, so an abort with no
     * age given could delete a running upload. */
    if (args->command == CMD_UPLOADS_ABORT && args->older_than < 0) {
        return usage_error(args, "%s", "uploads abort needs --older-than DURATION (e.g. 24h), so that uploads "
                                       "still in flight are left alone");
    }
    if (args->command == CMD_GET || args->command == CMD_GET_DIR) { /* the source first, as cp has it */
        args->target = positional[0];
        args->source = positional[1];
    } else {
        args->source = uploads ? NULL : positional[0];
        args->target = positional[wanted - 1];
    }
    if (tosput_resolve_destination(args, args->target, why, sizeof why) != 0) {
        return usage_error(args, "%s", why);
    }
    /* `put -` streams standard input: nothing is kept to resume, and a stream shorter than a
     * part goes up in one request (its size is known only at its end). */
    if (args->command == CMD_PUT && strcmp(args->source, "-") == 0) {
        if (args->checkpoint != NULL || args->no_checkpoint) {
            return usage_error(args, "%s", "--checkpoint and --no-checkpoint do not apply to standard input (-), "
                                           "which cannot be resumed");
        }
        if (args->force_multipart) {
            return usage_error(args, "%s", "--force-multipart does not apply to standard input (-)");
        }
    }
    return -1;
}

void tosput_args_free(struct tosput_args *args) {
    free(args->bucket);
    free(args->key);
    free((void *)args->include);
    free((void *)args->exclude);
}
