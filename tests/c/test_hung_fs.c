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

static void upload_file(const tos_client *client, const char *mount, const char *work, int is_abort) {
    char path[4096], checkpoint[4096];
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct tu_canceller c = {0};
    pthread_t thread;
    tos_result rc;
    double latency;

    snprintf(path, sizeof path, "%s/big.bin", mount);
    snprintf(checkpoint, sizeof checkpoint, "%s/big.checkpoint", work);
    tos_upload_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = is_abort ? "hung/aborted.bin" : "hung/paused.bin";
    input.file_path = path;
    input.checkpoint_file = checkpoint;
    c.hook = tos_cancel_hook_new();
    c.is_abort = is_abort;
    c.delay_s = 0.3;
    input.cancel_hook = c.hook;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = tos_upload_file(client, &input, &output, &error);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("file %s: %s %.0f ms after the cancel (limit %.0f ms)\n", is_abort ? "abort" : "pause",
           tos_result_name(rc), latency * 1000, tu_cancel_limit_s() * 1000);
    CHECK(rc == (is_abort ? TOS_ABORTED : TOS_PAUSED), "file %s: %s", is_abort ? "abort" : "pause",
          tos_result_name(rc));
    CHECK(latency <= tu_cancel_limit_s(), "file %s: returned %.0f ms after the cancel",
          is_abort ? "abort" : "pause", latency * 1000);
    tos_error_free(error);
    tos_upload_file_output_free(output);
    tos_cancel_hook_free(c.hook);
}

static void upload_dir(const tos_client *client, const char *mount) {
    char dir[4096];
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    struct tu_canceller c = {0};
    pthread_t thread;
    tos_result rc;
    double latency;

    snprintf(dir, sizeof dir, "%s/dir", mount);
    tos_upload_dir_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.dir = dir;
    input.prefix = "hung/dir/";
    c.hook = tos_cancel_hook_new();
    c.delay_s = 0.3;
    input.cancel_hook = c.hook;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = tos_upload_dir(client, &input, &output, &error);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("folder pause: %s %.0f ms after the cancel (limit %.0f ms)\n", tos_result_name(rc), latency * 1000,
           tu_cancel_limit_s() * 1000);
    CHECK(rc == TOS_PAUSED, "folder pause: %s", tos_result_name(rc));
    CHECK(latency <= tu_cancel_limit_s(), "folder pause: returned %.0f ms after the cancel", latency * 1000);
    tos_error_free(error);
    tos_upload_dir_output_free(output);
    tos_cancel_hook_free(c.hook);
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

static void download_file(const tos_client *client, const char *mount, const char *work, int is_abort) {
    char path[4096], checkpoint[4096];
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct tu_canceller c = {0};
    pthread_t thread;
    tos_result rc;
    double latency;
    const char *what = is_abort ? "download abort" : "download pause";

    snprintf(path, sizeof path, "%s/out/file.bin", mount);
    snprintf(checkpoint, sizeof checkpoint, "%s/download.checkpoint", work);
    tos_download_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = "hung/source.bin";
    input.file_path = path;
    input.checkpoint_file = checkpoint;
    c.hook = tos_cancel_hook_new();
    c.is_abort = is_abort;
    c.delay_s = 0.3;
    input.cancel_hook = c.hook;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = tos_download_file(client, &input, &output, &error);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("%s: %s %.0f ms after the cancel (limit %.0f ms)\n", what, tos_result_name(rc), latency * 1000,
           tu_cancel_limit_s() * 1000);
    CHECK(rc == (is_abort ? TOS_ABORTED : TOS_PAUSED), "%s: %s", what, tos_result_name(rc));
    CHECK(latency <= tu_cancel_limit_s(), "%s: returned %.0f ms after the cancel", what, latency * 1000);
    tos_error_free(error);
    tos_download_file_output_free(output);
    tos_cancel_hook_free(c.hook);
}

static void download_dir(const tos_client *client, const char *mount) {
    char dir[4096];
    tos_download_dir_input input;
    tos_download_dir_output *output = NULL;
    tos_error *error = NULL;
    struct tu_canceller c = {0};
    pthread_t thread;
    tos_result rc;
    double latency;

    snprintf(dir, sizeof dir, "%s/out/dir", mount);
    tos_download_dir_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.prefix = "hung/src-dir/";
    input.dir = dir;
    c.hook = tos_cancel_hook_new();
    c.delay_s = 0.3;
    input.cancel_hook = c.hook;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = tos_download_dir(client, &input, &output, &error);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("folder download pause: %s %.0f ms after the cancel (limit %.0f ms)\n", tos_result_name(rc),
           latency * 1000, tu_cancel_limit_s() * 1000);
    CHECK(rc == TOS_PAUSED, "folder download pause: %s", tos_result_name(rc));
    CHECK(latency <= tu_cancel_limit_s(), "folder download pause: returned %.0f ms after the cancel",
          latency * 1000);
    tos_error_free(error);
    tos_download_dir_output_free(output);
    tos_cancel_hook_free(c.hook);
}

int main(void) {
    const char *mount = tu_env("HUNG_FS_MOUNT");
    const char *work = tu_env("HUNG_FS_WORK");
    const tos_client *client = tu_client();
    char *log;
    upload_file(client, mount, work, 0);
    upload_file(client, mount, work, 1);
    upload_dir(client, mount);
    log = tu_log();
    CHECK(tu_log_count(log, "CreateMultipartUpload", -1) == 0 && tu_log_count(log, "PutObject", -1) == 0,
          "nothing was created on the server: the cancels came before any byte was read");
    free(log);
    seed(client, work, "hung/source.bin", 3 << 20);
    seed(client, work, "hung/src-dir/a.txt", 4096);
    seed(client, work, "hung/src-dir/sub/b.txt", 4096);
    seed(client, work, "hung/src-dir/c.txt", 4096);
    download_file(client, mount, work, 0);
    download_file(client, mount, work, 1);
    download_dir(client, mount);
    tos_client_free(client);
    return tu_failures ? 1 : 0;
}
