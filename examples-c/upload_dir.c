/*
 * upload_dir: upload a folder tree with tos_upload_dir, showing files and bytes progress.
 *
 *   upload_dir [DIR [PREFIX]]
 *
 * Endpoint, region and credentials come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
 * TOS_SECRET_KEY, the bucket from TOS_TEST_BUCKET. Without DIR it builds a small tree itself:
 * nested folders, a name with spaces and UTF-8, and one file above the part size (5 MiB), so
 * both the one-request and the multipart paths run. Exits 0 when every file went up and the
 * counts are as expected, 1 otherwise.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PART_SIZE (5ULL * 1024 * 1024)

/* The tree built without DIR: relative path and size. */
static const struct {
    const char *path;
    unsigned long long size;
} TREE[] = {
    {"README.txt", 120},
    {"docs/guide.md", 4000},
    {"docs/images/logo.png", 30000},
    {"docs/images/photo 2024 \xe6\x97\xa5\xe6\x9c\xac.jpg", 65536}, /* spaces and UTF-8 */
    {"data/empty.bin", 0},
    {"data/deep/er/still/file.csv", 777},
    {"data/big.bin", PART_SIZE + 123457}, /* above the part size: multipart */
};
#define TREE_FILES (sizeof TREE / sizeof TREE[0])

static int make_file(const char *path, unsigned long long size) {
    FILE *f = fopen(path, "wb");
    unsigned long long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 131 + i / 977) & 0xff), f);
    }
    return fclose(f);
}

/* mkdir -p of the directories of `path` (under an existing root). */
static int make_parents(char *path) {
    char *slash;
    for (slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0755) != 0 && access(path, F_OK) != 0) {
            return -1;
        }
        *slash = '/';
    }
    return 0;
}

static void remove_tree(const char *root) {
    char path[1024];
    size_t i;
    for (i = 0; i < TREE_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", root, TREE[i].path);
        unlink(path);
    }
    /* Directories deepest first. */
    {
        static const char *dirs[] = {"docs/images", "docs", "data/deep/er/still", "data/deep/er", "data/deep",
                                     "data"};
        for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
            rmdir(path);
        }
    }
    rmdir(root);
}

struct state {
    int width_drawn;
    unsigned long long last_bytes;
    int went_backwards, failed_events, succeeded_events;
};

/* Both callbacks run on the thread that called tos_upload_dir, one at a time. */
static void on_progress(const tos_upload_dir_progress *p, void *user_data) {
    struct state *s = user_data;
    double fraction = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 1.0;
    if (p->bytes_done < s->last_bytes) {
        s->went_backwards = 1;
    }
    s->last_bytes = p->bytes_done;
    fprintf(stderr, "\rfiles %llu/%llu%s  bytes %llu/%llu  %5.1f%%", (unsigned long long)p->files_done,
            (unsigned long long)p->files_total, p->walk_complete ? "" : "+", (unsigned long long)p->bytes_done,
            (unsigned long long)p->bytes_total, fraction * 100.0);
    s->width_drawn = 1;
}

static void on_event(const tos_upload_dir_event *event, void *user_data) {
    struct state *s = user_data;
    if (s->width_drawn) {
        fputc('\n', stderr);
        s->width_drawn = 0;
    }
    switch (event->kind) {
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED:
        s->succeeded_events++;
        printf("uploaded  %-48s %10llu bytes  crc64 %016llx\n", event->key, (unsigned long long)event->size,
               (unsigned long long)event->crc64);
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_FAILED:
        s->failed_events++;
        printf("FAILED    %s: %s\n", event->path, tos_error_message(event->error));
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED:
        printf("skipped   %s (%s)\n", event->path, event->reason ? event->reason : "");
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED:
        printf("now uploading %u files at once\n", (unsigned)event->file_concurrency);
        break;
    default:
        break;
    }
}

int main(int argc, char **argv) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char tmpdir[] = "/tmp/tos-upload-dir-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : NULL;
    const char *prefix = argc > 2 ? argv[2] : "examples/upload_dir/";
    unsigned long long expected_bytes = 0;
    tos_client_options options;
    tos_upload_dir_input input;
    const tos_client *client = NULL;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    struct state state;
    tos_result rc;
    size_t i;
    int status = 1, made = 0;

    if (bucket == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET (and TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY)\n");
        return 1;
    }
    if (dir == NULL) {
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        for (i = 0; i < TREE_FILES; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", tmpdir, TREE[i].path);
            if (make_parents(path) != 0 || make_file(path, TREE[i].size) != 0) {
                perror(path);
                return 1;
            }
            expected_bytes += TREE[i].size;
        }
        dir = tmpdir;
        made = 1;
    }

    tos_client_options_init(&options); /* endpoint and credentials from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }

    memset(&state, 0, sizeof state);
    tos_upload_dir_input_init(&input); /* defaults: the whole tree, 4 files at once */
    input.bucket = bucket;
    input.prefix = prefix;
    input.dir = dir;
    input.part_size = PART_SIZE;
    input.continue_on_error = true;
    input.progress_cb = on_progress;
    input.progress_user_data = &state;
    input.event_cb = on_event;
    input.event_user_data = &state;
    rc = tos_upload_dir(client, &input, &output, &error);
    if (state.width_drawn) {
        fputc('\n', stderr);
    }
    if (rc != TOS_OK && rc != TOS_ERR_SOME_FILES_FAILED) {
        fprintf(stderr, "tos_upload_dir: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    printf("files uploaded %llu (%llu bytes), skipped %llu, failed %zu\n",
           (unsigned long long)tos_upload_dir_output_files_uploaded(output),
           (unsigned long long)tos_upload_dir_output_bytes_uploaded(output),
           (unsigned long long)tos_upload_dir_output_files_skipped(output),
           tos_upload_dir_output_failure_count(output));
    for (i = 0; i < tos_upload_dir_output_failure_count(output); i++) {
        printf("  failed: %s -> %s: %s\n", tos_upload_dir_output_failure_path(output, i),
               tos_upload_dir_output_failure_key(output, i),
               tos_error_message(tos_upload_dir_output_failure_error(output, i)));
    }
    if (rc != TOS_OK) {
        fprintf(stderr, "%s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    if (made && (tos_upload_dir_output_files_uploaded(output) != TREE_FILES ||
                 tos_upload_dir_output_bytes_uploaded(output) != expected_bytes)) {
        fprintf(stderr, "expected %zu files and %llu bytes\n", TREE_FILES, expected_bytes);
        goto out;
    }
    if (state.went_backwards || (size_t)state.succeeded_events != tos_upload_dir_output_files_uploaded(output)) {
        fprintf(stderr, "progress went backwards or events are missing\n");
        goto out;
    }
    status = 0;
out:
    tos_upload_dir_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    if (made) {
        remove_tree(tmpdir);
    }
    return status;
}
