/*
 * tos_download_dir through the C API, against the local server, on a small tree stored with
 * tos_upload_dir (nested keys, an empty file, an 11 MiB file in 5 MiB parts):
 *
 *   - bad input (NULL dir, task_num 1001, a bad include pattern, a wrong struct_size) is
 *     refused with its code and no output, and the server's log stays empty;
 *   - a download to a fresh folder is byte-exact; the output counts every object and byte;
 *     every object gets one STARTED and one SUCCEEDED event with its local path; the last
 *     progress has the totals and listing_complete;
 *   - include/exclude download only the matching objects;
 *   - a second run with skip_existing skips every object and sends no GetObject;
 *   - a pause from the event callback after 3 objects (with a checkpoint folder) returns
 *     TOS_PAUSED; the same call then finishes, and no object the first call finished is
 *     fetched again;
 *   - tos_download_dir from inside a folder download's callback is TOS_ERR_REENTRANT_CALL.
 */
#include "test_util.h"

#define MIB (1024ULL * 1024)
#define PREFIX "dl-dir/"
#define MAX_OBJECTS 16

static const tos_client *client;
static const char *bucket;
static char work_dir[] = "/tmp/tos-test-download-dir-XXXXXX";
static char source_dir[300];

/* The tree: relative path and size. Listed in key order, as the server lists them. */
static const struct {
    const char *path;
    uint64_t size;
} TREE[] = {
    {"a/b/c/deep.txt", 1000},  {"a/mid.dat", 20000},  {"big/multi.bin", 11 * MIB},
    {"empty.txt", 0},          {"top.txt", 3000},      {"x/one.txt", 700},
    {"x/two.log", 800},        {"y/four.log", 900},    {"y/three.txt", 1100},
};
#define TREE_COUNT (sizeof TREE / sizeof TREE[0])

static uint64_t tree_bytes(void) {
    uint64_t total = 0;
    size_t i;
    for (i = 0; i < TREE_COUNT; i++) {
        total += TREE[i].size;
    }
    return total;
}

/* ---- files ------------------------------------------------------------------------------- */

static void path_in(char *out, size_t len, const char *folder, const char *relative) {
    snprintf(out, len, "%s/%s", folder, relative);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Makes every directory on the way to `path` (its parents). */
static void make_parents(const char *path) {
    char copy[512];
    char *slash;
    snprintf(copy, sizeof copy, "%s", path);
    for (slash = strchr(copy + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(copy, 0755);
        *slash = '/';
    }
}

static void remove_tree(const char *path) {
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", path);
    if (system(command) != 0) {
        fprintf(stderr, "could not remove %s\n", path);
    }
}

/* A file of `size` bytes different from every other file of the tree (its index first). */
static void make_tree_file(const char *path, uint64_t size, size_t index) {
    FILE *f;
    make_parents(path);
    if (tu_make_file(path, size) != 0 || (f = fopen(path, "r+b")) == NULL) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    if (size >= 16) {
        fprintf(f, "file %zu", index);
    }
    fclose(f);
}

/* Checks that every file of the tree under `folder` equals its source; returns how many do. */
static size_t count_byte_exact(const char *folder, const char *what) {
    char source[512], copy[512];
    size_t i, exact = 0;
    for (i = 0; i < TREE_COUNT; i++) {
        path_in(source, sizeof source, source_dir, TREE[i].path);
        path_in(copy, sizeof copy, folder, TREE[i].path);
        if (tu_same_bytes(source, copy)) {
            exact++;
        } else {
            CHECK(0, "%s: %s is not byte-exact", what, TREE[i].path);
        }
    }
    return exact;
}

/* ---- the server ---------------------------------------------------------------------------- */

static void upload_tree(void) {
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    char *log;
    tu_clear_log();
    tos_upload_dir_input_init(&input);
    input.bucket = bucket;
    input.prefix = PREFIX;
    input.dir = source_dir;
    input.part_size = 5 * MIB;
    rc = tos_upload_dir(client, &input, &output, &error);
    if (rc != TOS_OK || tos_upload_dir_output_files_uploaded(output) != TREE_COUNT) {
        fprintf(stderr, "uploading the tree: %s: %s\n", tos_result_name(rc), error ? tos_error_message(error) : "");
        exit(1);
    }
    tos_upload_dir_output_free(output);
    /* The 11 MiB file must be a multipart object, so its download has several ranges. */
    log = tu_log();
    CHECK(tu_log_count(log, "UploadPart", 200) == 3, "the 11 MiB file went up in three 5 MiB parts: %s", log);
    free(log);
}

/* GetObject entries in the server's log for `key`. */
static int gets_of_key(const char *log, const char *key) {
    int count = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL) {
            break;
        }
        count += tu_json_str_is(p, end, "op", "GetObject") && tu_json_str_is(p, end, "key", key);
        p = end + 1;
    }
    return count;
}

/* ---- what the callbacks saw ------------------------------------------------------------------- */

struct observed {
    const char *dir;               /* the download's folder, to check events' paths */
    int started[MAX_OBJECTS], succeeded[MAX_OBJECTS], failed, skipped, unknown_key, bad_path;
    int progress_calls;
    tos_download_dir_progress last_progress;
    const tos_cancel_hook *pause_hook; /* paused after pause_after SUCCEEDED events */
    int pause_after, succeeded_total;
    int nested_calls;
    tos_result nested_result;
};

static int tree_index(const char *key) {
    size_t i;
    if (key == NULL || strncmp(key, PREFIX, strlen(PREFIX)) != 0) {
        return -1;
    }
    for (i = 0; i < TREE_COUNT; i++) {
        if (strcmp(key + strlen(PREFIX), TREE[i].path) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void on_event(const tos_download_dir_event *event, void *user_data) {
    struct observed *seen = user_data;
    int index;
    char expected_path[512];
    if (event->kind == TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED) {
        return;
    }
    index = tree_index(event->key);
    if (index < 0) {
        seen->unknown_key++;
        return;
    }
    path_in(expected_path, sizeof expected_path, seen->dir, TREE[index].path);
    seen->bad_path += event->path == NULL || strcmp(event->path, expected_path) != 0;
    switch (event->kind) {
    case TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_STARTED:
        seen->started[index]++;
        break;
    case TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED:
        seen->succeeded[index]++;
        seen->succeeded_total++;
        if (seen->pause_hook != NULL && seen->succeeded_total == seen->pause_after) {
            CHECK(tos_pause(seen->pause_hook) == TOS_OK, "tos_pause from the event callback");
        }
        break;
    case TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_FAILED:
        seen->failed++;
        fprintf(stderr, "failed: %s: %s\n", event->key, event->error ? tos_error_message(event->error) : "");
        break;
    case TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SKIPPED:
        seen->skipped++;
        break;
    default:
        seen->unknown_key++;
    }
}

static void on_progress(const tos_download_dir_progress *progress, void *user_data) {
    struct observed *seen = user_data;
    seen->progress_calls++;
    seen->last_progress = *progress;
}

static void init_input(tos_download_dir_input *input, const char *dir, struct observed *seen) {
    memset(seen, 0, sizeof *seen);
    seen->dir = dir;
    tos_download_dir_input_init(input);
    input->bucket = bucket;
    input->prefix = PREFIX;
    input->dir = dir;
    input->part_size = 5 * MIB;
    input->event_cb = on_event;
    input->event_user_data = seen;
    input->progress_cb = on_progress;
    input->progress_user_data = seen;
}

/* Runs the download; returns its output (NULL on failure) after checking the result code. */
static tos_download_dir_output *download(const char *what, const tos_download_dir_input *input,
                                         tos_result expected) {
    tos_download_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_download_dir(client, input, &output, &error);
    CHECK(rc == expected, "%s: got %s, expected %s (%s)", what, tos_result_name(rc), tos_result_name(expected),
          error ? tos_error_message(error) : "no error");
    CHECK((rc == TOS_OK) == (output != NULL), "%s: an output exactly on TOS_OK", what);
    tos_error_free(error);
    return output;
}

/* ---- the cases ------------------------------------------------------------------------------ */

static void expect_refused(const char *what, const tos_download_dir_input *input, tos_result expected) {
    tos_download_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_download_dir(client, input, &output, &error);
    CHECK(rc == expected, "%s: got %s, expected %s (%s)", what, tos_result_name(rc), tos_result_name(expected),
          error ? tos_error_message(error) : "no error");
    CHECK(output == NULL, "%s: no output on failure", what);
    CHECK(error != NULL && tos_error_result(error) == rc, "%s: the error carries the code", what);
    tos_download_dir_output_free(output);
    tos_error_free(error);
}

static void test_bad_input(void) {
    tos_download_dir_input input;
    struct observed seen;
    char dir[512];
    static const char *const bad_pattern[] = {"[unclosed"};
    char *log;
    path_in(dir, sizeof dir, work_dir, "refused");
    tu_clear_log();

    init_input(&input, dir, &seen);
    input.dir = NULL;
    expect_refused("NULL dir", &input, TOS_ERR_NULL_ARGUMENT);

    init_input(&input, dir, &seen);
    input.task_num = 1001;
    expect_refused("task_num 1001", &input, TOS_ERR_INVALID_ARGUMENT);

    init_input(&input, dir, &seen);
    input.include = bad_pattern;
    input.include_count = 1;
    expect_refused("a bad include pattern", &input, TOS_ERR_INVALID_ARGUMENT);

    init_input(&input, dir, &seen);
    input.struct_size = sizeof input - 1;
    expect_refused("a wrong struct_size", &input, TOS_ERR_STRUCT_SIZE);

    log = tu_log();
    CHECK(tu_log_entries(log) == 0, "bad input sent no request, the log has: %s", log);
    free(log);
    CHECK(!exists(dir), "bad input made no folder");
}

static void test_download_and_skip_existing(void) {
    tos_download_dir_input input;
    tos_download_dir_output *output;
    struct observed seen;
    char dir[512];
    char *log;
    size_t i;
    path_in(dir, sizeof dir, work_dir, "fresh");

    init_input(&input, dir, &seen);
    output = download("the download", &input, TOS_OK);
    CHECK(count_byte_exact(dir, "the download") == TREE_COUNT, "every file is byte-exact");
    CHECK(tos_download_dir_output_files_downloaded(output) == TREE_COUNT, "files_downloaded %llu",
          (unsigned long long)tos_download_dir_output_files_downloaded(output));
    CHECK(tos_download_dir_output_bytes_downloaded(output) == tree_bytes(), "bytes_downloaded %llu",
          (unsigned long long)tos_download_dir_output_bytes_downloaded(output));
    CHECK(tos_download_dir_output_files_skipped(output) == 0 && tos_download_dir_output_bytes_skipped(output) == 0,
          "nothing skipped");
    CHECK(tos_download_dir_output_dirs_created(output) == 0, "no folder marker in the tree");
    CHECK(tos_download_dir_output_failure_count(output) == 0, "no failure");
    tos_download_dir_output_free(output);
    for (i = 0; i < TREE_COUNT; i++) {
        CHECK(seen.started[i] == 1 && seen.succeeded[i] == 1, "%s: %d STARTED and %d SUCCEEDED events, not 1 and 1",
              TREE[i].path, seen.started[i], seen.succeeded[i]);
    }
    CHECK(seen.failed == 0 && seen.skipped == 0 && seen.unknown_key == 0, "no other event (%d failed, %d skipped, "
          "%d unknown)", seen.failed, seen.skipped, seen.unknown_key);
    CHECK(seen.bad_path == 0, "every event's path is the folder joined with the key after the prefix");
    CHECK(seen.progress_calls > 0, "progress was reported");
    CHECK(seen.last_progress.listing_complete, "the last progress has listing_complete");
    CHECK(seen.last_progress.bytes_done == tree_bytes() && seen.last_progress.bytes_total == tree_bytes(),
          "the last progress reaches the bytes (%llu of %llu)", (unsigned long long)seen.last_progress.bytes_done,
          (unsigned long long)seen.last_progress.bytes_total);
    CHECK(seen.last_progress.files_done == TREE_COUNT && seen.last_progress.files_total == TREE_COUNT,
          "the last progress reaches the files (%llu of %llu)", (unsigned long long)seen.last_progress.files_done,
          (unsigned long long)seen.last_progress.files_total);

    /* The same folder again, now holding every object: nothing is fetched. */
    tu_clear_log();
    init_input(&input, dir, &seen);
    input.skip_existing = true;
    output = download("skip_existing over a complete folder", &input, TOS_OK);
    CHECK(tos_download_dir_output_files_skipped(output) == TREE_COUNT, "skip_existing skipped %llu objects",
          (unsigned long long)tos_download_dir_output_files_skipped(output));
    CHECK(tos_download_dir_output_bytes_skipped(output) == tree_bytes(), "bytes_skipped is the tree's size");
    CHECK(tos_download_dir_output_files_downloaded(output) == 0, "skip_existing downloaded nothing");
    CHECK(seen.skipped == (int)TREE_COUNT, "one SKIPPED event per object (%d)", seen.skipped);
    tos_download_dir_output_free(output);
    log = tu_log();
    CHECK(tu_log_count(log, "GetObject", -1) == 0, "skip_existing sent no GetObject: %s", log);
    free(log);
    remove_tree(dir);
}

static void test_include_exclude(void) {
    static const char *const include[] = {"*.txt"};
    static const char *const exclude[] = {"deep.txt", "x/**"};
    /* A pattern without a slash matches the file name anywhere; the x/ one leaves out x/one.txt. */
    static const char *const wanted[] = {"empty.txt", "top.txt", "y/three.txt"};
    tos_download_dir_input input;
    tos_download_dir_output *output;
    struct observed seen;
    char dir[512], path[600];
    size_t i, j;
    path_in(dir, sizeof dir, work_dir, "filtered");
    init_input(&input, dir, &seen);
    input.include = include;
    input.include_count = 1;
    input.exclude = exclude;
    input.exclude_count = 2;
    output = download("include/exclude", &input, TOS_OK);
    CHECK(tos_download_dir_output_files_downloaded(output) == sizeof wanted / sizeof wanted[0],
          "include/exclude: %llu objects downloaded",
          (unsigned long long)tos_download_dir_output_files_downloaded(output));
    tos_download_dir_output_free(output);
    for (i = 0; i < TREE_COUNT; i++) {
        int is_wanted = 0;
        for (j = 0; j < sizeof wanted / sizeof wanted[0]; j++) {
            is_wanted |= strcmp(TREE[i].path, wanted[j]) == 0;
        }
        path_in(path, sizeof path, dir, TREE[i].path);
        CHECK(exists(path) == is_wanted, "include/exclude: %s is %s", TREE[i].path,
              is_wanted ? "missing" : "there though left out");
    }
    remove_tree(dir);
}

static void test_pause_resume(void) {
    tos_download_dir_input input;
    tos_download_dir_output *output;
    struct observed seen;
    const tos_cancel_hook *hook = tos_cancel_hook_new();
    int finished_first[MAX_OBJECTS];
    char dir[512], checkpoints[512], key[100]; /* short, as the log matcher's buffer is */
    char *log;
    size_t i;
    int finished_count = 0;
    path_in(dir, sizeof dir, work_dir, "paused");
    path_in(checkpoints, sizeof checkpoints, work_dir, "checkpoints");

    init_input(&input, dir, &seen);
    input.checkpoint_dir = checkpoints;
    input.file_concurrency = 1;
    input.cancel_hook = hook;
    seen.pause_hook = hook;
    seen.pause_after = 3;
    output = download("a pause after 3 objects", &input, TOS_PAUSED);
    tos_download_dir_output_free(output);
    for (i = 0; i < TREE_COUNT; i++) {
        finished_first[i] = seen.succeeded[i];
        finished_count += seen.succeeded[i];
    }
    CHECK(finished_count >= 3 && finished_count < (int)TREE_COUNT, "the pause came in the middle (%d finished)",
          finished_count);
    printf("paused with %d of %zu objects finished\n", finished_count, TREE_COUNT);

    /* The same call, with a fresh hook: it resumes and finishes. */
    tos_cancel_hook_free(hook);
    hook = tos_cancel_hook_new();
    tu_clear_log();
    init_input(&input, dir, &seen);
    input.checkpoint_dir = checkpoints;
    input.file_concurrency = 1;
    input.cancel_hook = hook;
    output = download("the resume", &input, TOS_OK);
    CHECK(tos_download_dir_output_files_skipped(output) == (uint64_t)finished_count,
          "the resume skipped %llu objects, the first call finished %d",
          (unsigned long long)tos_download_dir_output_files_skipped(output), finished_count);
    CHECK(tos_download_dir_output_files_downloaded(output) + tos_download_dir_output_files_skipped(output) ==
              TREE_COUNT,
          "downloaded + skipped = every object");
    tos_download_dir_output_free(output);
    CHECK(count_byte_exact(dir, "after the resume") == TREE_COUNT, "every file is byte-exact after the resume");
    log = tu_log();
    for (i = 0; i < TREE_COUNT; i++) {
        snprintf(key, sizeof key, "%s%s", PREFIX, TREE[i].path);
        if (finished_first[i]) {
            CHECK(gets_of_key(log, key) == 0, "%s, finished before the pause, was fetched again", key);
        }
    }
    free(log);
    CHECK(!exists(checkpoints) || rmdir(checkpoints) == 0, "the checkpoint folder is empty after the resume");
    tos_cancel_hook_free(hook);
    remove_tree(dir);
}

/* tos_download_dir from inside a folder download's own event callback. */
static void download_from_callback(const tos_download_dir_event *event, void *user_data) {
    struct observed *seen = user_data;
    tos_download_dir_input input;
    tos_download_dir_output *output = NULL;
    char nested_dir[512];
    (void)event;
    if (seen->nested_calls++) {
        return;
    }
    path_in(nested_dir, sizeof nested_dir, work_dir, "nested");
    tos_download_dir_input_init(&input);
    input.bucket = bucket;
    input.prefix = PREFIX;
    input.dir = nested_dir;
    seen->nested_result = tos_download_dir(client, &input, &output, NULL);
    tos_download_dir_output_free(output);
}

static void test_reentrant(void) {
    static const char *const only_top[] = {"top.txt"};
    tos_download_dir_input input;
    tos_download_dir_output *output;
    struct observed seen;
    char dir[512], nested_dir[512];
    path_in(dir, sizeof dir, work_dir, "outer");
    path_in(nested_dir, sizeof nested_dir, work_dir, "nested");
    init_input(&input, dir, &seen);
    input.include = only_top;
    input.include_count = 1;
    input.event_cb = download_from_callback;
    output = download("the download around the nested call", &input, TOS_OK);
    tos_download_dir_output_free(output);
    CHECK(seen.nested_calls > 0 && seen.nested_result == TOS_ERR_REENTRANT_CALL,
          "tos_download_dir in a download callback: got %s", tos_result_name(seen.nested_result));
    CHECK(!exists(nested_dir), "the refused download made no folder");
    remove_tree(dir);
}

int main(void) {
    char path[512];
    size_t i;
    bucket = tu_env("TOS_TEST_BUCKET");
    if (mkdtemp(work_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    path_in(source_dir, sizeof source_dir, work_dir, "source");
    for (i = 0; i < TREE_COUNT; i++) {
        path_in(path, sizeof path, source_dir, TREE[i].path);
        make_tree_file(path, TREE[i].size, i);
    }
    client = tu_client();
    test_bad_input();
    upload_tree();
    test_download_and_skip_existing();
    test_include_exclude();
    test_pause_resume();
    test_reentrant();
    tos_client_free(client);
    remove_tree(work_dir);
    if (tu_failures) {
        fprintf(stderr, "test_download_dir: %d failures\n", tu_failures);
        return 1;
    }
    printf("test_download_dir: all checks passed\n");
    return 0;
}
