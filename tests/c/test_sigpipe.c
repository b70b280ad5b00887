/*
 * A connection reset never kills the host with SIGPIPE, and the library never changes the
 * host's signal state.
 *
 * usage: test_sigpipe [RUNS]            (under scripts/with_server.py; RUNS defaults to 200)
 *        test_sigpipe --expect-failure  (one upload that must fail with an error code; the
 *                                        driver test_sigpipe_server_killed.py kills the server)
 *
 * This program keeps SIGPIPE's default disposition (the action that kills the process) and
 * leaves it unblocked. Each run resets the connection of part 1 while the client is still
 * writing its body (a 5 MiB part; after 64 KiB the server sends FIN, then RST): the client's
 * next write fails with EPIPE (a plain RST would give ECONNRESET, which raises nothing), and
 * that raises SIGPIPE on the writing thread, a runtime worker or this one. Every
 * upload must end byte-exact (read back through the admin API): one reset part with retries
 * on is never a failed upload. The process must survive, and after every call SIGPIPE is still SIG_DFL, still unblocked and
 * not pending on this thread. The library's own threads must have SIGPIPE blocked
 * (/proc/self/task/N/status).
 */
#include "test_util.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>

#define PART (5 * 1024 * 1024)
#define FILE_SIZE (PART + 65536 + 17)

/* Checks the host's view of SIGPIPE: default action, not blocked, nothing pending. */
static void check_host_signal_state(const char *when) {
    struct sigaction action;
    sigset_t mask, pending;
    CHECK(sigaction(SIGPIPE, NULL, &action) == 0, "sigaction query");
    CHECK(action.sa_handler == SIG_DFL, "%s: SIGPIPE's disposition changed", when);
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0, "pthread_sigmask query");
    CHECK(!sigismember(&mask, SIGPIPE), "%s: SIGPIPE left blocked on the calling thread", when);
    CHECK(sigpending(&pending) == 0, "sigpending");
    CHECK(!sigismember(&pending, SIGPIPE), "%s: a SIGPIPE is pending", when);
}

/* Counts the threads named tosupload-worker (truncated to 15 bytes by the kernel) and how
 * many of them do not block SIGPIPE. */
static void check_library_threads(int *workers, int *unblocked) {
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *entry;
    *workers = 0;
    *unblocked = 0;
    if (tasks == NULL) {
        CHECK(0, "cannot open /proc/self/task");
        return;
    }
    while ((entry = readdir(tasks)) != NULL) {
        char path[300], line[256];
        FILE *f;
        int is_worker = 0;
        unsigned long long blocked = 0;
        if (entry->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        if (fgets(line, sizeof line, f) != NULL) {
            is_worker = strncmp(line, "tosupload-worke", 15) == 0;
        }
        fclose(f);
        if (!is_worker) {
            continue;
        }
        snprintf(path, sizeof path, "/proc/self/task/%s/status", entry->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "SigBlk:", 7) == 0) {
                blocked = strtoull(line + 7, NULL, 16);
            }
        }
        fclose(f);
        (*workers)++;
        if (!(blocked & (1ULL << (SIGPIPE - 1)))) {
            (*unblocked)++;
        }
    }
    closedir(tasks);
}

/* Makes every run's content differ, so a read-back cannot match an older object. */
static int stamp(const char *path, int run) {
    unsigned char tag[8];
    int fd = open(path, O_WRONLY), i;
    ssize_t n;
    if (fd < 0) {
        return -1;
    }
    for (i = 0; i < 8; i++) {
        tag[i] = (unsigned char)(run >> (8 * (i % 4)));
    }
    n = pwrite(fd, tag, sizeof tag, 4096);
    close(fd);
    return n == (ssize_t)sizeof tag ? 0 : -1;
}

static int same_as_file(const char *path, const char *object, size_t object_len) {
    FILE *f = fopen(path, "rb");
    static char buf[FILE_SIZE];
    size_t n;
    if (f == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == object_len && memcmp(buf, object, n) == 0;
}

/* One upload with a fresh client: the driver kills the server under it, so it must fail
 * with an error code. Exit 0 when it did. */
static int expect_failure(const char *file) {
    const tos_client *client = tu_client();
    const tos_rate_limiter *limiter = tu_rate_limiter(4 * 1024 * 1024, 256 * 1024);
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    tos_upload_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = "sigpipe/killed.bin";
    input.file_path = file;
    input.part_size = PART;
    input.task_num = 4;
    input.disable_checkpoint = true;
    /* Slow enough for the server to read everything sent: killed, it then closes with FIN,
     * and the client's writes that follow meet an RST in CLOSE_WAIT, which gives EPIPE. */
    input.rate_limiter = limiter;
    rc = tos_upload_file(client, &input, &output, &error);
    tos_upload_file_output_free(output);
    printf("%s: %s\n", tos_result_name(rc), error ? tos_error_message(error) : "");
    tos_error_free(error);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    check_host_signal_state("after the upload");
    return rc != TOS_OK && rc != TOS_ERR_PANIC && tu_failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    char dir[] = "/tmp/tos-sigpipe-XXXXXX";
    char file[256], query[512];
    const char *bucket;
    const tos_client *client;
    int runs = 200, run, ok = 0, failed = 0, workers, unblocked;
    double start;

    check_host_signal_state("at start");
    if (tu_failures) {
        fprintf(stderr, "this test needs SIGPIPE at its default action and unblocked\n");
        return 1;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/data.bin", dir);
    if (tu_make_file(file, FILE_SIZE) != 0) {
        perror("test file");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--expect-failure") == 0) {
        int status = expect_failure(file);
        remove(file);
        rmdir(dir);
        return status;
    }
    if (argc > 1) {
        runs = atoi(argv[1]);
    }
    bucket = tu_env("TOS_TEST_BUCKET");
    client = tu_client();
    tu_clear_log();
    start = tu_now();
    for (run = 0; run < runs; run++) {
        tos_upload_file_input input;
        tos_upload_file_output *output = NULL;
        tos_error *error = NULL;
        tos_result rc;
        char *object;
        int status = 0;

        if (stamp(file, run) != 0) {
            perror("stamp");
            return 1;
        }
        tu_clear_faults();
        tu_add_fault("{\"op\":\"UploadPart\",\"part_number\":1,\"times\":1,"
                     "\"action\":{\"kind\":\"reset\",\"after_bytes\":65536,\"fin_first\":true}}");
        tos_upload_file_input_init(&input);
        input.bucket = bucket;
        input.key = "sigpipe/object.bin";
        input.file_path = file;
        input.part_size = PART;
        input.task_num = 2;
        input.disable_checkpoint = true;
        rc = tos_upload_file(client, &input, &output, &error);
        check_host_signal_state("after an upload");
        if (rc == TOS_OK) {
            size_t len = 0;
            snprintf(query, sizeof query, "/object?bucket=%s&key=sigpipe/object.bin", bucket);
            object = tu_admin_bytes("GET", query, NULL, &status, &len);
            CHECK(status == 200 && object != NULL && same_as_file(file, object, len),
                  "run %d: the object read back differs from the file (HTTP %d)", run, status);
            free(object);
            ok++;
        } else {
            /* One reset part, and the client retries (its default): the retry must carry the
             * upload through. A failure here is a retry that did not happen. */
            CHECK(0, "run %d: one reset part failed the upload despite retries: %s: %s", run,
                  tos_result_name(rc), error ? tos_error_message(error) : "(no error)");
            failed++;
        }
        tos_upload_file_output_free(output);
        tos_error_free(error);
        if (tu_failures > 10) {
            break;
        }
    }
    {
        char *log = tu_log();
        int resets = tu_log_count(log, "UploadPart", 0);
        CHECK(resets == run, "%d UploadParts were reset, want one per upload (%d)", resets, run);
        free(log);
    }
    check_library_threads(&workers, &unblocked);
    CHECK(workers > 0, "no tosupload-worker thread found");
    CHECK(unblocked == 0, "%d of %d library threads do not block SIGPIPE", unblocked, workers);
    tos_client_free(client);
    tu_clear_faults();
    printf("%d uploads with a reset part in %.1f s: %d byte-exact, %d failed with an error code; "
           "%d library threads, all blocking SIGPIPE: %s\n",
           run, tu_now() - start, ok, failed, workers, unblocked == 0 ? "yes" : "no");
    remove(file);
    rmdir(dir);
    printf("test_sigpipe: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
