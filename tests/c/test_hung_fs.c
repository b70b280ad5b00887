/*
 * A pause or abort answers within the cancel limit even while the library is stuck in a
 * kernel call on a hung file system: HUNG_FS_MOUNT is a hung_fs mount (hung_fs.c) whose open()
 * answers after 20 s. Run by test_hung_fs.py, which mounts it.
 *
 * 1. tos_upload_file of MOUNT/big.bin (checkpoint on a working disk): paused 300 ms into the
 *    hung open -> TOS_PAUSED within the limit, nothing created on the server.
 * 2. The same, aborted -> TOS_ABORTED within the limit.
 * 3. tos_upload_dir of MOUNT/dir (three small files, each open hangs): paused -> TOS_PAUSED
 *    within the limit.
 * 4. tos_download_file of an object to MOUNT/out/file.bin, where creating a file hangs (the
 *    checkpoint on a working disk): paused, then aborted -> TOS_PAUSED / TOS_ABORTED within
 *    the limit.
 * 5. tos_download_dir of three objects to MOUNT/out/dir, where creating a directory or a file
 *    hangs: paused -> TOS_PAUSED within the limit.
 */
#include "test_util.h"

#include <pthread.h>

/* One call into the hung file system, given the hook that will stop it; returns its result. */
typedef tos_result (*call_fn)(const tos_client *client, const char *mount, const char *work,
                              const tos_cancel_hook *hook);

/* Runs `call` with a hook that pauses (or aborts) it 300 ms in: it must return TOS_PAUSED (or
 * TOS_ABORTED) within the cancel limit. */
static void expect_stopped(const char *what, int is_abort, call_fn call, const tos_client *client,
                           const char *mount, const char *work) {
    struct tu_canceller c = {0};
    pthread_t thread;
    tos_result rc;
    double latency;

    c.hook = tos_cancel_hook_new();
    c.is_abort = is_abort;
    c.delay_s = 0.3;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = call(client, mount, work, c.hook);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("%s: %s %.0f ms after the cancel (limit %.0f ms)\n", what, tos_result_name(rc), latency * 1000,
           tu_cancel_limit_s() * 1000);
    CHECK(rc == (is_abort ? TOS_ABORTED : TOS_PAUSED), "%s: %s", what, tos_result_name(rc));
    CHECK(latency <= tu_cancel_limit_s(), "%s: returned %.0f ms after the cancel", what, latency * 1000);
    tos_cancel_hook_free(c.hook);
}

static tos_result upload_file(const tos_client *client, const char *mount, const char *work, const char *key,
                              const tos_cancel_hook *hook) {
    char path[4096], checkpoint[4096];
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;

    snprintf(path, sizeof path, "%s/big.bin", mount);
    snprintf(checkpoint, sizeof checkpoint, "%s/big.checkpoint", work);
    tos_upload_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = key;
    input.file_path = path;
    input.checkpoint_file = checkpoint;
    input.cancel_hook = hook;
    rc = tos_upload_file(client, &input, &output, &error);
    tos_error_free(error);
    tos_upload_file_output_free(output);
    return rc;
}

static tos_result upload_file_paused(const tos_client *client, const char *mount, const char *work,
                                     const tos_cancel_hook *hook) {
    return upload_file(client, mount, work, "hung/paused.bin", hook);
}

static tos_result upload_file_aborted(const tos_client *client, const char *mount, const char *work,
                                      const tos_cancel_hook *hook) {
    return upload_file(client, mount, work, "hung/aborted.bin", hook);
}

static tos_result upload_dir(const tos_client *client, const char *mount, const char *work,
                             const tos_cancel_hook *hook) {
    char dir[4096];
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    (void)work;

    snprintf(dir, sizeof dir, "%s/dir", mount);
    tos_upload_dir_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.dir = dir;
    input.prefix = "hung/dir/";
    input.cancel_hook = hook;
    rc = tos_upload_dir(client, &input, &output, &error);
    tos_error_free(error);
    tos_upload_dir_output_free(output);
    return rc;
}

/* Uploads `size` bytes from a file on the working disk to `key`, for the downloads. */
static void seed(const tos_client *client, const char *work, const char *key, uint64_t size) {
    char path[4096];
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;

    snprintf(path, sizeof path, "%s/seed.bin", work);
    CHECK(tu_make_file(path, size) == 0, "cannot write %s", path);
    tos_upload_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = key;
    input.file_path = path;
    input.disable_checkpoint = true;
    rc = tos_upload_file(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "seeding %s: %s", key, tos_result_name(rc));
    tos_error_free(error);
    tos_upload_file_output_free(output);
}

static tos_result download_file(const tos_client *client, const char *mount, const char *work,
                                const tos_cancel_hook *hook) {
    char path[4096], checkpoint[4096];
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;

    snprintf(path, sizeof path, "%s/out/file.bin", mount);
    snprintf(checkpoint, sizeof checkpoint, "%s/download.checkpoint", work);
    tos_download_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = "hung/source.bin";
    input.file_path = path;
    input.checkpoint_file = checkpoint;
    input.cancel_hook = hook;
    rc = tos_download_file(client, &input, &output, &error);
    tos_error_free(error);
    tos_download_file_output_free(output);
    return rc;
}

static tos_result download_dir(const tos_client *client, const char *mount, const char *work,
                               const tos_cancel_hook *hook) {
    char dir[4096];
    tos_download_dir_input input;
    tos_download_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    (void)work;

    snprintf(dir, sizeof dir, "%s/out/dir", mount);
    tos_download_dir_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.prefix = "hung/src-dir/";
    input.dir = dir;
    input.cancel_hook = hook;
    rc = tos_download_dir(client, &input, &output, &error);
    tos_error_free(error);
    tos_download_dir_output_free(output);
    return rc;
}

int main(void) {
    const char *mount = tu_env("HUNG_FS_MOUNT");
    const char *work = tu_env("HUNG_FS_WORK");
    const tos_client *client = tu_client();
    char *log;
    expect_stopped("file pause", 0, upload_file_paused, client, mount, work);
    expect_stopped("file abort", 1, upload_file_aborted, client, mount, work);
    expect_stopped("folder pause", 0, upload_dir, client, mount, work);
    log = tu_log();
    CHECK(tu_log_count(log, "CreateMultipartUpload", -1) == 0 && tu_log_count(log, "PutObject", -1) == 0,
          "nothing was created on the server: the cancels came before any byte was read");
    free(log);
    seed(client, work, "hung/source.bin", 3 << 20);
    seed(client, work, "hung/src-dir/a.txt", 4096);
    seed(client, work, "hung/src-dir/sub/b.txt", 4096);
    seed(client, work, "hung/src-dir/c.txt", 4096);
    expect_stopped("download pause", 0, download_file, client, mount, work);
    expect_stopped("download abort", 1, download_file, client, mount, work);
    expect_stopped("folder download pause", 0, download_dir, client, mount, work);
    tos_client_free(client);
    return tu_failures ? 1 : 0;
}
