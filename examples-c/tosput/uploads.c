/*
 * `tosput uploads list|abort`: the multipart uploads left open in a bucket. A paused upload
 * that is never resumed (or one whose process died) keeps its parts on the server, billed,
 * until it is aborted; these find and remove them.
 *
 *   tosput uploads list [--endpoint-url URL] tos://BUCKET[/PREFIX]
 *   tosput uploads abort --older-than DURATION [--endpoint-url URL] tos://BUCKET[/PREFIX]
 *
 * --older-than is required for abort: an upload in flight is indistinguishable from an
 * abandoned one except by its age, so an abort without it could delete a running upload.
 */
#include "tosput.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct uploads_args {
    int abort;              /* abort (1) or list (0) */
    int s3;
    char *bucket;           /* malloc'd */
    const char *prefix;     /* points into the location argument */
    const char *location;   /* as given, for messages */
    const char *endpoint_url;
    int64_t older_than;     /* seconds; -1 = not given */
};

static void usage_uploads(FILE *out) {
    fprintf(out,
            "usage: tosput uploads list [options] tos://BUCKET[/PREFIX]\n"
            "       tosput uploads abort --older-than DURATION [options] tos://BUCKET[/PREFIX]\n"
            "       (s3://BUCKET/... instead of tos:// speaks the S3 protocol)\n"
            "\n"
            "Multipart uploads left open on the server: by a paused `tosput put` never resumed,\n"
            "or by a process that died. Their parts stay stored (and billed) until aborted.\n"
            "\n"
            "  list     one line per upload under PREFIX on stdout, tab-separated:\n"
            "           key, upload id, initiated (UTC), age; then the count\n"
            "  abort    aborts those initiated at least DURATION ago (their parts are\n"
            "           deleted; a checkpoint naming one then starts afresh), printing each\n"
            "\n"
            "options:\n"
            "  --older-than DURATION   required by abort: e.g. 24h, 30m, 90s, 7d, 1h30m, 0s\n"
            "                          (0s aborts every upload, including ones in flight)\n"
            "  --endpoint-url URL      the server (default: TOS_ENDPOINT, or AWS_ENDPOINT_URL\n"
            "                          for s3://)\n"
            "  -h, --help              this text\n"
            "\n"
            "exit codes: 0 done, 1 the listing or an abort failed, 2 bad command line,\n"
            "3 client or configuration error (endpoint, region, credentials)\n");
}

static int uploads_usage_error(const char *message, const char *what) {
    fprintf(stderr, "tosput: ");
    fprintf(stderr, message, what);
    fprintf(stderr, "\nrun `tosput uploads --help` for the options\n");
    return EXIT_USAGE;
}

/* "1h30m" -> 5400: one or more NUMBER UNIT pairs, units s, m, h, d. Returns 0 on success. */
static int parse_duration(const char *text, int64_t *out) {
    int64_t total = 0;
    if (*text == '\0') {
        return -1;
    }
    while (*text != '\0') {
        int64_t number = 0, unit;
        if (*text < '0' || *text > '9') {
            return -1;
        }
        while (*text >= '0' && *text <= '9') {
            if (number > (INT64_MAX - 9) / 10) {
                return -1;
            }
            number = number * 10 + (*text++ - '0');
        }
        switch (*text++) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return -1;
        }
        if (number > (INT64_MAX - total) / unit) {
            return -1;
        }
        total += number * unit;
    }
    *out = total;
    return 0;
}

/* tos://BUCKET or tos://BUCKET/PREFIX (also s3://). */
static int parse_location(const char *location, struct uploads_args *args) {
    return tosput_split_target(location, &args->s3, &args->bucket, &args->prefix);
}

static int parse_uploads_args(int argc, char **argv, struct uploads_args *args) {
    const char *location = NULL;
    int i;
    args->older_than = -1;
    if (argc < 2) {
        usage_uploads(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage_uploads(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "abort") == 0) {
        args->abort = 1;
    } else if (strcmp(argv[1], "list") != 0) {
        return uploads_usage_error("unknown uploads command '%s' (list or abort)", argv[1]);
    }
    for (i = 2; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage_uploads(stdout);
            return EXIT_OK;
        }
        if (strcmp(arg, "--older-than") == 0 || strcmp(arg, "--endpoint-url") == 0) {
            if (i + 1 >= argc) {
                return uploads_usage_error("%s needs a value", arg);
            }
            value = argv[++i];
        } else if (strncmp(arg, "--older-than=", 13) == 0 || strncmp(arg, "--endpoint-url=", 15) == 0) {
            value = strchr(arg, '=') + 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return uploads_usage_error("unknown option %s", arg);
        } else if (location != NULL) {
            return uploads_usage_error("unexpected argument %s", arg);
        } else {
            location = arg;
            continue;
        }
        if (strncmp(arg, "--older-than", 12) == 0) {
            if (!args->abort) {
                return uploads_usage_error("%s is an option of `uploads abort`", "--older-than");
            }
            if (parse_duration(value, &args->older_than) != 0) {
                return uploads_usage_error("--older-than needs a duration like 24h, 30m or 0s, not '%s'", value);
            }
        } else {
            args->endpoint_url = value;
        }
    }
    if (location == NULL) {
        return uploads_usage_error("%s needs tos://BUCKET[/PREFIX]", args->abort ? "uploads abort" : "uploads list");
    }
    if (args->abort && args->older_than < 0) {
        return uploads_usage_error("%s", "uploads abort needs --older-than DURATION (e.g. 24h), so that uploads "
                                         "still in flight are left alone");
    }
    args->location = location;
    if (parse_location(location, args) != 0) {
        return uploads_usage_error("'%s' is not tos://BUCKET[/PREFIX] or s3://BUCKET[/PREFIX]", location);
    }
    return -1;
}

/* "2026-11-30T02:30:11Z" and "1d02h03m" (or "unknown" when the server sent no time). */
static void describe_time(int64_t initiated, int64_t now, char *when, size_t when_len, char *age, size_t age_len) {
    time_t t = (time_t)initiated;
    struct tm tm;
    int64_t seconds = now > initiated ? now - initiated : 0;
    if (initiated == 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(when, when_len, "unknown");
        snprintf(age, age_len, "unknown");
        return;
    }
    strftime(when, when_len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (seconds >= 86400) {
        snprintf(age, age_len, "%lldd%02lldh%02lldm", (long long)(seconds / 86400), (long long)(seconds % 86400 / 3600),
                 (long long)(seconds % 3600 / 60));
    } else if (seconds >= 3600) {
        snprintf(age, age_len, "%lldh%02lldm", (long long)(seconds / 3600), (long long)(seconds % 3600 / 60));
    } else {
        snprintf(age, age_len, "%lldm%02llds", (long long)(seconds / 60), (long long)(seconds % 60));
    }
}

static int run_uploads(const tos_client *client, const struct uploads_args *args) {
    tos_list_uploads_input input;
    tos_multipart_upload_list *list = NULL;
    tos_error *error = NULL;
    int64_t now = (int64_t)time(NULL);
    size_t i, count, aborted = 0, kept = 0, failed = 0;
    tos_result rc;

    tos_list_uploads_input_init(&input);
    input.bucket = args->bucket;
    input.prefix = args->prefix;
    rc = tos_list_multipart_uploads(client, &input, &list, &error);
    if (rc != TOS_OK) {
        tosput_print_error("listing the uploads failed", rc, error);
        tos_error_free(error);
        return EXIT_FAILED;
    }
    count = tos_multipart_upload_list_count(list);
    for (i = 0; i < count; i++) {
        const char *key = tos_multipart_upload_list_key(list, i);
        const char *id = tos_multipart_upload_list_upload_id(list, i);
        int64_t initiated = tos_multipart_upload_list_initiated(list, i);
        char when[32], age[32];
        describe_time(initiated, now, when, sizeof when, age, sizeof age);
        if (!args->abort) {
            printf("%s\t%s\t%s\t%s\n", key, id, when, age);
            continue;
        }
        /* An upload of unknown age might be in flight: only an explicit age can condemn it. */
        if (initiated == 0 || now - initiated < args->older_than) {
            kept++;
            continue;
        }
        rc = tos_abort_multipart_upload(client, args->bucket, key, id, NULL, &error);
        if (rc == TOS_OK) {
            printf("aborted\t%s\t%s\t%s\t%s\n", key, id, when, age);
            aborted++;
        } else {
            tosput_print_error(key, rc, error);
            tos_error_free(error);
            error = NULL;
            failed++;
        }
    }
    if (args->abort) {
        printf("%zu aborted, %zu kept (younger than --older-than or of unknown age), %zu failed, under %s\n",
               aborted, kept, failed, args->location);
    } else {
        printf("%zu open upload%s under %s\n", count, count == 1 ? "" : "s", args->location);
    }
    tos_multipart_upload_list_free(list);
    return failed > 0 ? EXIT_FAILED : EXIT_OK;
}

int tosput_uploads_main(int argc, char **argv) {
    struct uploads_args args;
    tos_client_options options;
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int status;

    memset(&args, 0, sizeof args);
    status = parse_uploads_args(argc, argv, &args);
    if (status < 0) {
        tos_client_options_init(&options);
        options.protocol = args.s3 ? TOS_PROTOCOL_S3 : TOS_PROTOCOL_TOS;
        options.endpoint = args.endpoint_url;
        rc = tos_client_new(&options, &client, &error);
        if (rc != TOS_OK) {
            tosput_print_error(args.s3 ? "cannot create the client (check --endpoint-url and the AWS_* variables)"
                                 : "cannot create the client (check --endpoint-url and the TOS_* variables)",
                         rc, error);
            tos_error_free(error);
            status = EXIT_CLIENT;
        } else {
            status = run_uploads(client, &args);
        }
        tos_client_free(client);
    }
    free(args.bucket);
    return status;
}
