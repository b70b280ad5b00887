/*
 * One run at a time per checkpoint (docs/download.md §3.4), through the C API against the
 * local server. For each of tos_download_file, tos_upload_file, tos_download_dir and
 * tos_upload_dir: a first call runs on a thread of its own and is held inside its rate
 * limiter callback; the same call from the main thread then fails with
 * TOS_ERR_CHECKPOINT_IN_USE, at once, naming the checkpoint, and sends no request (the
 * server's log has exactly the first call's HEAD, Create, listing or puts); the first call
 * then finishes, byte-exact, and leaves no lock file.
 *
 * A forked child holding the download's lock (flock, as the library takes it) blocks the
 * download too; once the child is killed with SIGKILL, the lock file it left behind does not.
 */
#include "test_util.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#define MIB (1024ULL * 1024)

static const tos_client *client;
static const char *bucket;
static char work_dir[] = "/tmp/tos-test-lock-XXXXXX";

static void path_in(char *out, size_t len, const char *name) {
    snprintf(out, len, "%s/%s", work_dir, name);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    char path[1024];
    struct stat st;
    if (d == NULL) {
        return;
    }
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_tree(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Lock files (names ending in ".lock") anywhere under `dir`. */
static int lock_files_under(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    char path[1024];
    struct stat st;
    int count = 0;
    if (d == NULL) {
        return 0;
    }
    while ((entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            count += lock_files_under(path);
        } else if (len > 5 && strcmp(entry->d_name + len - 5, ".lock") == 0) {
            count++;
        }
    }
    closedir(d);
    return count;
}

/* ---- a gate: the first call waits in its rate limiter until the second has been refused --- */

struct gate {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int entered, released;
};

static struct gate gate;

static void gate_reset(void) {
    pthread_mutex_lock(&gate.mutex);
    gate.entered = gate.released = 0;
    pthread_mutex_unlock(&gate.mutex);
}

static int hold_at_gate(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    (void)want;
    (void)wait_ms_out;
    (void)user_data;
    pthread_mutex_lock(&gate.mutex);
    gate.entered = 1;
    pthread_cond_broadcast(&gate.cond);
    while (!gate.released) {
        pthread_cond_wait(&gate.cond, &gate.mutex);
    }
    pthread_mutex_unlock(&gate.mutex);
    return 1;
}

/* 1 once the first call is held, 0 when it did not get there within a minute. */
static int wait_until_held(void) {
    struct timespec deadline;
    int entered;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    pthread_mutex_lock(&gate.mutex);
    while (!gate.entered && pthread_cond_timedwait(&gate.cond, &gate.mutex, &deadline) == 0) {
    }
    entered = gate.entered;
    pthread_mutex_unlock(&gate.mutex);
    return entered;
}

static void open_gate(void) {
    pthread_mutex_lock(&gate.mutex);
    gate.released = 1;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.mutex);
}

/* ---- the four calls, each runnable on a thread -------------------------------------------- */

enum call_kind { DOWNLOAD_FILE, UPLOAD_FILE, DOWNLOAD_DIR, UPLOAD_DIR };

struct call {
    enum call_kind kind;
    const char *key_or_prefix, *local, *checkpoint;
    int gated;
    tos_result rc;
    char message[1024];
};

static void run_call(struct call *call) {
    tos_error *error = NULL;
    tos_rate_limiter_cb limiter = call->gated ? hold_at_gate : NULL;
    switch (call->kind) {
    case DOWNLOAD_FILE: {
        tos_download_file_input input;
        tos_download_file_output *output = NULL;
        tos_download_file_input_init(&input);
        input.bucket = bucket;
        input.key = call->key_or_prefix;
        input.file_path = call->local;
        input.checkpoint_file = call->checkpoint;
        input.part_size = 5 * MIB;
        input.task_num = 1;
        input.rate_limiter_cb = limiter;
        call->rc = tos_download_file(client, &input, &output, &error);
        tos_download_file_output_free(output);
        break;
    }
    case UPLOAD_FILE: {
        tos_upload_file_input input;
        tos_upload_file_output *output = NULL;
        tos_upload_file_input_init(&input);
        input.bucket = bucket;
        input.key = call->key_or_prefix;
        input.file_path = call->local;
        input.checkpoint_file = call->checkpoint;
        input.part_size = 5 * MIB;
        input.task_num = 1;
        input.force_multipart = true;
        input.rate_limiter_cb = limiter;
        call->rc = tos_upload_file(client, &input, &output, &error);
        tos_upload_file_output_free(output);
        break;
    }
    case DOWNLOAD_DIR: {
        tos_download_dir_input input;
        tos_download_dir_output *output = NULL;
        tos_download_dir_input_init(&input);
        input.bucket = bucket;
        input.prefix = call->key_or_prefix;
        input.dir = call->local;
        input.checkpoint_dir = call->checkpoint;
        input.file_concurrency = 1;
        input.rate_limiter_cb = limiter;
        call->rc = tos_download_dir(client, &input, &output, &error);
        tos_download_dir_output_free(output);
        break;
    }
    case UPLOAD_DIR: {
        tos_upload_dir_input input;
        tos_upload_dir_output *output = NULL;
        tos_upload_dir_input_init(&input);
        input.bucket = bucket;
        input.prefix = call->key_or_prefix;
        input.dir = call->local;
        input.checkpoint_dir = call->checkpoint;
        input.file_concurrency = 1;
        input.rate_limiter_cb = limiter;
        call->rc = tos_upload_dir(client, &input, &output, &error);
        tos_upload_dir_output_free(output);
        break;
    }
    }
    snprintf(call->message, sizeof call->message, "%s", error ? tos_error_message(error) : "");
    tos_error_free(error);
}

static void *run_call_thread(void *arg) {
    run_call(arg);
    return NULL;
}

/* The first call held, the second refused at once without a request, then the first done.
 * `first_op` is the request the second call would have sent first: its count in the log must
 * be the first call's alone (`first_op_count`). */
static void second_is_refused(const char *what, struct call *first, const char *first_op, int first_op_count) {
    struct call second = *first;
    pthread_t thread;
    double started;
    char *log;
    gate_reset();
    tu_clear_log();
    first->gated = 1;
    second.gated = 0;
    CHECK(pthread_create(&thread, NULL, run_call_thread, first) == 0, "pthread_create");
    if (!wait_until_held()) {
        CHECK(0, "%s: the first call never asked its rate limiter", what);
        open_gate();
        pthread_join(thread, NULL);
        return;
    }
    started = tu_now();
    run_call(&second);
    CHECK(second.rc == TOS_ERR_CHECKPOINT_IN_USE, "%s: the second call got %s: %s", what,
          tos_result_name(second.rc), second.message);
    CHECK(strstr(second.message, first->checkpoint) != NULL, "%s: the message names the checkpoint: %s", what,
          second.message);
    /* Generous: the refusal is one open and one flock; a machine under load may still lag. */
    CHECK(tu_now() - started < 10.0, "%s: the refusal took %.1f s", what, tu_now() - started);
    open_gate();
    pthread_join(thread, NULL);
    CHECK(first->rc == TOS_OK, "%s: the first call got %s: %s", what, tos_result_name(first->rc), first->message);
    log = tu_log();
    CHECK(tu_log_count(log, first_op, -1) == first_op_count, "%s: %d %s requests, want %d (the first call's): %s",
          what, tu_log_count(log, first_op, -1), first_op, first_op_count, log);
    free(log);
}

/* ---- the cases ------------------------------------------------------------------------------- */

static void upload_source(const char *key, const char *file) {
    struct call call = {UPLOAD_FILE, key, file, NULL, 0, TOS_OK, ""};
    char checkpoint[512];
    path_in(checkpoint, sizeof checkpoint, "seed.upload");
    call.checkpoint = checkpoint;
    run_call(&call);
    if (call.rc != TOS_OK) {
        fprintf(stderr, "uploading %s: %s: %s\n", key, tos_result_name(call.rc), call.message);
        exit(1);
    }
}

static void test_download_file(const char *source) {
    char destination[512], checkpoint[512], lock[600];
    struct call first = {DOWNLOAD_FILE, "lock/object.bin", NULL, NULL, 0, TOS_OK, ""};
    path_in(destination, sizeof destination, "downloaded.bin");
    path_in(checkpoint, sizeof checkpoint, "download.checkpoint");
    snprintf(lock, sizeof lock, "%s.lock", checkpoint);
    first.local = destination;
    first.checkpoint = checkpoint;
    second_is_refused("download_file", &first, "HeadObject", 1);
    CHECK(tu_same_bytes(source, destination), "download_file: the first call's file is byte-exact");
    CHECK(!exists(lock) && !exists(checkpoint), "download_file: lock file and checkpoint gone");
}

/* A process holding the lock blocks the download; killed, it leaves a lock file that does not. */
static void test_download_file_killed_holder(const char *source) {
    char destination[512], checkpoint[512], lock[600];
    struct call call = {DOWNLOAD_FILE, "lock/object.bin", NULL, NULL, 0, TOS_OK, ""};
    int ready[2];
    char byte;
    pid_t child;
    path_in(destination, sizeof destination, "killed-holder.bin");
    path_in(checkpoint, sizeof checkpoint, "killed-holder.checkpoint");
    snprintf(lock, sizeof lock, "%s.lock", checkpoint);
    call.local = destination;
    call.checkpoint = checkpoint;
    CHECK(pipe(ready) == 0, "pipe");
    child = fork();
    if (child == 0) {
        int fd = open(lock, O_RDWR | O_CREAT, 0600);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
            _exit(1);
        }
        if (write(ready[1], "x", 1) != 1) {
            _exit(1);
        }
        pause();
        _exit(0);
    }
    close(ready[1]);
    CHECK(read(ready[0], &byte, 1) == 1, "the child took the lock");
    close(ready[0]);
    tu_clear_log();
    run_call(&call);
    CHECK(call.rc == TOS_ERR_CHECKPOINT_IN_USE, "a lock held by another process: got %s: %s",
          tos_result_name(call.rc), call.message);
    CHECK(!exists(destination), "nothing at the destination");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK(exists(lock), "the killed process left its lock file");
    run_call(&call);
    CHECK(call.rc == TOS_OK, "after the holder was killed: got %s: %s", tos_result_name(call.rc), call.message);
    CHECK(tu_same_bytes(source, destination), "byte-exact after the holder was killed");
    CHECK(!exists(lock), "the lock file was removed at the end");
}

static void test_upload_file(const char *source) {
    char checkpoint[512], lock[600];
    struct call first = {UPLOAD_FILE, "lock/uploaded.bin", NULL, NULL, 0, TOS_OK, ""};
    path_in(checkpoint, sizeof checkpoint, "upload.checkpoint");
    snprintf(lock, sizeof lock, "%s.lock", checkpoint);
    first.local = source;
    first.checkpoint = checkpoint;
    second_is_refused("upload_file", &first, "CreateMultipartUpload", 1);
    CHECK(!exists(lock) && !exists(checkpoint), "upload_file: lock file and checkpoint gone");
}

static void make_folder(const char *dir, int files) {
    char path[600];
    int i;
    mkdir(dir, 0700);
    for (i = 0; i < files; i++) {
        snprintf(path, sizeof path, "%s/f%d.bin", dir, i);
        if (tu_make_file(path, 64 * 1024 + (uint64_t)i) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
    }
}

static void test_folders(void) {
    char tree[512], fetched[512], up_checkpoints[512], down_checkpoints[512], a[700], b[700];
    struct call up = {UPLOAD_DIR, "lockdir/", NULL, NULL, 0, TOS_OK, ""};
    struct call down = {DOWNLOAD_DIR, "lockdir/", NULL, NULL, 0, TOS_OK, ""};
    int i;
    path_in(tree, sizeof tree, "tree");
    path_in(fetched, sizeof fetched, "fetched");
    path_in(up_checkpoints, sizeof up_checkpoints, "up-checkpoints");
    path_in(down_checkpoints, sizeof down_checkpoints, "down-checkpoints");
    make_folder(tree, 3);
    up.local = tree;
    up.checkpoint = up_checkpoints;
    second_is_refused("upload_dir", &up, "PutObject", 3);
    CHECK(lock_files_under(up_checkpoints) == 0, "upload_dir: no lock file left");
    down.local = fetched;
    down.checkpoint = down_checkpoints;
    second_is_refused("download_dir", &down, "ListObjects", 1);
    for (i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "%s/f%d.bin", tree, i);
        snprintf(b, sizeof b, "%s/f%d.bin", fetched, i);
        CHECK(tu_same_bytes(a, b), "download_dir: %s is byte-exact", b);
    }
    CHECK(lock_files_under(down_checkpoints) == 0 && lock_files_under(fetched) == 0,
          "download_dir: no lock file left");
}

int main(void) {
    char source[512];
    bucket = tu_env("TOS_TEST_BUCKET");
    if (mkdtemp(work_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    pthread_mutex_init(&gate.mutex, NULL);
    pthread_cond_init(&gate.cond, NULL);
    client = tu_client();
    path_in(source, sizeof source, "source.bin");
    if (tu_make_file(source, 12 * MIB) != 0) {
        fprintf(stderr, "cannot write %s\n", source);
        return 1;
    }
    upload_source("lock/object.bin", source);
    test_download_file(source);
    test_download_file_killed_holder(source);
    test_upload_file(source);
    test_folders();
    tos_client_free(client);
    remove_tree(work_dir);
    if (tu_failures) {
        fprintf(stderr, "test_checkpoint_lock: %d failures\n", tu_failures);
        return 1;
    }
    printf("test_checkpoint_lock: ok\n");
    return 0;
}
