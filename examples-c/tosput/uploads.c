/*
 * `tosput uploads list|abort`: the multipart uploads left open in a bucket. A paused upload
 * that is never resumed (or one whose process died) keeps its parts on the server, billed,
 * until it is aborted; these find and remove them.
 *
 *   tosput uploads list [options] tos://BUCKET[/PREFIX]
 *   tosput uploads abort --older-than DURATION [options] tos://BUCKET[/PREFIX]
 *
 * The command line (with --older-than, required for abort), the credentials check and the
 * client are args.c's, report.c's and main.c's, shared with put and put-dir; this file lists,
 * aborts and prints.
 */
#include "tosput.h"

#include <time.h>

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

int tosput_uploads_run(const tos_client *client, const struct tosput_args *args) {
    tos_list_multipart_uploads_input input;
    tos_list_multipart_uploads_output *list = NULL;
    tos_error *error = NULL;
    int64_t now = (int64_t)time(NULL);
    size_t i, count, aborted = 0, kept = 0, failed = 0;
    int aborting = args->command == CMD_UPLOADS_ABORT, refused = 0, status;
    tos_result rc;

    tos_list_multipart_uploads_input_init(&input);
    input.bucket = args->bucket;
    input.prefix = args->key;
    rc = tos_list_multipart_uploads(client, &input, &list, &error);
    if (rc != TOS_OK) {
        tosput_print_error("listing the uploads failed", rc, error);
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
        tos_error_free(error);
        return status;
    }
    count = tos_list_multipart_uploads_output_count(list);
    for (i = 0; i < count; i++) {
        const char *key = tos_list_multipart_uploads_output_key(list, i);
        const char *id = tos_list_multipart_uploads_output_upload_id(list, i);
        int64_t initiated = tos_list_multipart_uploads_output_initiated(list, i);
        char when[32], age[32];
        /* Keys come from the bucket: a tab or line break in one must not shift the columns. */
        static char shown_key[TOSPUT_SHOWN_MAX], shown_id[TOSPUT_SHOWN_MAX];
        tosput_shown(key, shown_key, sizeof shown_key);
        tosput_shown(id, shown_id, sizeof shown_id);
        describe_time(initiated, now, when, sizeof when, age, sizeof age);
        if (!aborting) {
            printf("%s\t%s\t%s\t%s\n", shown_key, shown_id, when, age);
            continue;
        }
        /* An upload of unknown age might be in flight: only an explicit age can condemn it. */
        if (initiated == 0 || now - initiated < args->older_than) {
            kept++;
            continue;
        }
        tos_abort_multipart_upload_input abort_input;
        tos_abort_multipart_upload_input_init(&abort_input);
        abort_input.bucket = args->bucket;
        abort_input.key = key;
        abort_input.upload_id = id;
        rc = tos_abort_multipart_upload(client, &abort_input, &error);
        if (rc == TOS_OK) {
            printf("aborted\t%s\t%s\t%s\t%s\n", shown_key, shown_id, when, age);
            aborted++;
        } else {
            tosput_print_error(shown_key, rc, error);
            /* The listing was allowed but aborting may not be (a key that may list and not
             * delete): the hint once, and exit 3 as put-dir does for a refused file. */
            refused |= !refused && tosput_auth_failure(error, args);
            tos_error_free(error);
            error = NULL;
            failed++;
        }
    }
    if (aborting) {
        printf("%zu aborted, %zu kept (younger than --older-than or of unknown age), %zu failed, under %s\n",
               aborted, kept, failed, args->target);
    } else {
        printf("%zu open upload%s under %s\n", count, count == 1 ? "" : "s", args->target);
    }
    tos_list_multipart_uploads_output_free(list);
    return refused ? EXIT_CLIENT : failed > 0 ? EXIT_FAILED : EXIT_OK;
}
