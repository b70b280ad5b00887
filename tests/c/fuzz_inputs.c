/*
 * Random and hostile values in every field of the input structs, through the public C API,
 * under ASan/UBSan and valgrind: the library must never crash, leak, or answer with a code
 * it does not document, whatever it is given (pointers stay valid or NULL: anything else is
 * undefined behaviour in any C library).
 *
 * usage (under scripts/with_server.py): fuzz_inputs [ITERATIONS [SEED | random [RUNS]]]
 * Without SEED, runs the fixed seeds 1, LARGE_TREE_SEED and THIRD_FIXED_SEED: ctest's run is
 * the same every time, so a failure there is a change of the code, never of the draw.
 * `random` is the long run, new seeds each time (RUNS of them, default 1), for hunting:
 *   python3 scripts/with_server.py -- build/asan/fuzz_inputs 2000 random 20
 * Every seed is printed so a failure can be replayed with `fuzz_inputs N SEED`.
 */
#include "test_util.h"

#include <string.h>
#include <time.h>

/* Picks "/" as a folder to upload (once the whole machine was sent, for 20 minutes). */
#define LARGE_TREE_SEED 135525194083677ULL
/* Once a random draw of the long run; any fixed value does. */
#define THIRD_FIXED_SEED 20261205ULL

static uint64_t state;
static char dir[] = "/tmp/tos-fuzz-XXXXXX";
static char files[3][300];

static uint64_t next(void) { /* xorshift64*: repeatable from the seed */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

static unsigned below(unsigned n) { return (unsigned)(next() % n); }

/* A pool of strings, so every pointer handed to the library stays valid for the call. */
static char pool[64][800];
static int pooled;

static const char *hostile_string(void) {
    static const char *fixed[] = {
        "",         "a",        "/",          "\\x",       "..",         "a/../b",      "text/plain\r\nX: 1",
        "\xff\xfe", "\xc3\x28", "ctl\001chr", "tab\there", "中文/文件 1", "a*a*a*a*a*a*a*a*a*b", "[",
        "{a,b}",    "**",       "AES256",     "private",   "STANDARD",   "test-bucket", "/dev/zero",
        "/proc/version", "http://", "http://127.0.0.1:99999", "ftp://x"};
    char *out;
    unsigned i, len;
    if (below(3) == 0) {
        return fixed[below(sizeof fixed / sizeof fixed[0])];
    }
    out = pool[pooled++ % 64];
    len = below(4) == 0 ? 698 + below(50) : below(40);
    for (i = 0; i < len; i++) {
        unsigned pick = below(10);
        out[i] = pick == 0 ? (char)(1 + below(31)) : pick == 1 ? (char)(0x80 + below(0x7f)) : (char)('a' + below(26));
    }
    out[len] = '\0';
    return out;
}

static const char *maybe(const char *usual) {
    switch (below(4)) {
    case 0:
        return NULL;
    case 1:
        return hostile_string();
    default:
        return usual;
    }
}

static uint64_t hostile_number(void) {
    static const uint64_t fixed[] = {0, 1, 1024, 5ULL << 20, (5ULL << 20) - 1, 5ULL << 30, (5ULL << 30) + 1,
                                     UINT32_MAX, UINT64_MAX, 1ULL << 63};
    return below(2) ? fixed[below(sizeof fixed / sizeof fixed[0])] : next();
}

static tos_meta_entry metas[4];

static void fill_attributes(tos_object_attributes *a) {
    unsigned i, count = below(4);
    if (below(2)) {
        return; /* all zero: nothing set */
    }
    a->content_type = maybe(NULL);
    a->cache_control = maybe(NULL);
    a->content_disposition = maybe(NULL);
    a->content_encoding = maybe(NULL);
    a->content_language = maybe(NULL);
    a->expires = (int64_t)hostile_number();
    a->acl = maybe(NULL);
    a->storage_class = maybe(NULL);
    for (i = 0; i < count; i++) {
        metas[i].key = maybe("k");
        metas[i].value = maybe("v");
    }
    a->meta = below(5) == 0 ? NULL : metas;
    a->meta_count = count;
    a->tagging = maybe(NULL);
    a->forbid_overwrite = below(2);
    a->ssec_algorithm = maybe(NULL);
    a->ssec_key = maybe(NULL);
    a->ssec_key_md5 = maybe(NULL);
    a->server_side_encryption = maybe(NULL);
    a->server_side_encryption_key_id = maybe(NULL);
    a->website_redirect_location = maybe(NULL);
    a->traffic_limit = below(3) == 0 ? hostile_number() : 0;
}

static size_t hostile_size(size_t real) {
    switch (below(8)) {
    case 0:
        return below((unsigned)real + 16);
    case 1:
        return real + 1 + below(16);
    default:
        return real;
    }
}

static void check_result(const char *call, tos_result rc, tos_error *error) {
    const char *name = tos_result_name(rc);
    CHECK(strcmp(name, "TOS_UNKNOWN_RESULT") != 0, "%s returned an undocumented code %d", call, (int)rc);
    CHECK(rc != TOS_ERR_PANIC && rc != TOS_ERR_INTERNAL, "%s: %s (%s)", call, name,
          error ? tos_error_message(error) : "");
    if (error != NULL) {
        CHECK(tos_error_result(error) == rc, "%s: the error says %s", call, tos_result_name(tos_error_result(error)));
        CHECK(tos_error_message(error) != NULL, "%s: NULL message", call);
    }
    tos_error_free(error);
}

/* A stream that answers anything: errors, more than asked, INT64_MIN, or a few bytes, and
 * ends after a few reads. */
static int64_t hostile_read(uint8_t *buf, size_t capacity, void *user_data) {
    unsigned *reads_left = user_data;
    size_t n;
    if (*reads_left == 0) {
        return 0;
    }
    (*reads_left)--;
    switch (below(10)) {
    case 0:
        return -(int64_t)(1 + below(1000));
    case 1:
        return (int64_t)capacity + 1 + below(10);
    case 2:
        return INT64_MIN;
    default:
        n = below(70000);
        n = n < capacity ? n : capacity;
        memset(buf, 'x', n);
        return (int64_t)n;
    }
}

static void fuzz_listing(const tos_client *server_client, const tos_cancel_hook *hook) {
    tos_list_multipart_uploads_input input;
    tos_list_multipart_uploads_output *list = NULL;
    tos_abort_multipart_upload_input abort_input;
    tos_error *error = NULL;
    size_t i, count;
    tos_result rc;

    tos_list_multipart_uploads_input_init(&input);
    input.struct_size = hostile_size(sizeof input);
    input.bucket = maybe(tu_env("TOS_TEST_BUCKET"));
    input.prefix = maybe("fuzz/");
    input.limit = below(2) ? 0 : hostile_number();
    input.page_size = below(2) ? 0 : (uint32_t)hostile_number();
    input.cancel_hook = hook;
    rc = tos_list_multipart_uploads(server_client, &input, &list, &error);
    CHECK((rc == TOS_OK) == (list != NULL), "tos_list_multipart_uploads: list and %s disagree", tos_result_name(rc));
    count = tos_list_multipart_uploads_output_count(list);
    for (i = 0; i <= count; i++) { /* one past the end too */
        CHECK((tos_list_multipart_uploads_output_key(list, i) != NULL) == (i < count), "key(%zu) of %zu", i, count);
        (void)tos_list_multipart_uploads_output_upload_id(list, i);
        (void)tos_list_multipart_uploads_output_initiated(list, i);
    }
    tos_list_multipart_uploads_output_free(list);
    check_result("tos_list_multipart_uploads", rc, error);
    error = NULL;
    tos_abort_multipart_upload_input_init(&abort_input);
    abort_input.bucket = maybe(tu_env("TOS_TEST_BUCKET"));
    abort_input.key = maybe("fuzz/object.bin");
    abort_input.upload_id = maybe("no-such-upload");
    abort_input.cancel_hook = hook;
    rc = tos_abort_multipart_upload(server_client, below(8) == 0 ? NULL : &abort_input, &error);
    CHECK(rc != TOS_OK, "aborting an upload that was never made succeeded");
    check_result("tos_abort_multipart_upload", rc, error);
}

/* A hostile `dir` may name a real tree ("/" or ".."): uploading the machine is what was
 * asked, but not what a test can wait for. Past a small budget the upload is aborted through
 * its own cancel hook, which also exercises cancelling a walk of a large tree. */
struct dir_budget {
    const tos_cancel_hook *hook;
    double spent_at; /* 0 until the budget is spent */
};
static unsigned budget_spent; /* printed, so a run shows the large-tree case was reached */

static void spend_dir_budget(const tos_upload_dir_progress *progress, void *user_data) {
    struct dir_budget *budget = user_data;
    if (budget->spent_at == 0 && (progress->files_total > 50 || progress->bytes_total > (8u << 20))) {
        budget->spent_at = tu_now();
        budget_spent++;
        tos_abort(budget->hook);
    }
}

static void one_round(const tos_client *server_client) {
    tos_client_options options;
    tos_upload_file_input input;
    tos_upload_dir_input dir_input;
    tos_upload_stream_input stream_input;
    unsigned reads_left = below(6);
    const tos_client *client = NULL;
    const tos_cancel_hook *hook = NULL;
    const tos_cancel_hook *own_dir_hook = NULL;
    struct dir_budget dir_budget;
    const char *patterns[3];
    tos_upload_file_output *out = NULL;
    tos_upload_stream_output *stream_out = NULL;
    tos_upload_dir_output *dir_out = NULL;
    tos_error *error = NULL;
    tos_result rc;

    tos_client_options_init(&options);
    options.struct_size = hostile_size(sizeof options);
    options.endpoint = maybe(tu_env("TOS_ENDPOINT"));
    options.region = maybe(NULL);
    options.access_key = maybe(NULL);
    options.secret_key = maybe(NULL);
    options.addressing = below(4) == 0 ? (uint32_t)next() : below(3);
    options.protocol = below(4) == 0 ? (uint32_t)next() : below(2);
    options.max_retry_count = below(2) ? 0 : (int32_t)next();
    options.connect_timeout_ms = 200;
    options.idle_timeout_ms = 500;
    options.request_budget_ms = 2000;
    rc = tos_client_new(&options, &client, &error);
    check_result("tos_client_new", rc, error);
    error = NULL;
    tos_client_free(client);

    if (below(4) == 0) {
        hook = tos_cancel_hook_new();
        tos_cancel(hook, below(2));
    }
    tos_upload_file_input_init(&input);
    input.struct_size = hostile_size(sizeof input);
    input.bucket = maybe(tu_env("TOS_TEST_BUCKET"));
    input.key = maybe("fuzz/object.bin");
    input.file_path = maybe(files[below(3)]);
    input.part_size = below(2) ? 0 : hostile_number();
    input.task_num = below(2) ? 0 : (uint32_t)hostile_number();
    input.disable_checkpoint = below(2);
    input.checkpoint_file = below(3) == 0 ? maybe(dir) : NULL;
    fill_attributes(&input.attributes);
    input.cancel_hook = hook;
    rc = tos_upload_file(server_client, &input, &out, &error);
    CHECK((rc == TOS_OK) == (out != NULL), "tos_upload_file: output and %s disagree", tos_result_name(rc));
    tos_upload_file_output_free(out);
    check_result("tos_upload_file", rc, error);
    error = NULL;

    out = NULL;
    tos_upload_stream_input_init(&stream_input);
    stream_input.struct_size = hostile_size(sizeof stream_input);
    stream_input.bucket = maybe(tu_env("TOS_TEST_BUCKET"));
    stream_input.key = maybe("fuzz/stream.bin");
    stream_input.read_cb = below(6) == 0 ? NULL : hostile_read;
    stream_input.read_user_data = &reads_left;
    stream_input.part_size = below(2) ? 0 : hostile_number();
    stream_input.task_num = below(2) ? 0 : (uint32_t)hostile_number();
    fill_attributes(&stream_input.attributes);
    stream_input.cancel_hook = hook;
    rc = tos_upload_stream(server_client, &stream_input, &stream_out, &error);
    CHECK((rc == TOS_OK) == (stream_out != NULL), "tos_upload_stream: output and %s disagree", tos_result_name(rc));
    tos_upload_stream_output_free(stream_out);
    stream_out = NULL;
    check_result("tos_upload_stream", rc, error);
    error = NULL;

    tos_upload_dir_input_init(&dir_input);
    dir_input.struct_size = hostile_size(sizeof dir_input);
    dir_input.bucket = maybe(tu_env("TOS_TEST_BUCKET"));
    dir_input.prefix = maybe("fuzz-dir/");
    dir_input.dir = maybe(dir);
    dir_input.top_level_only = below(2);
    patterns[0] = maybe("*.bin");
    patterns[1] = maybe("a*a*a*a*a*a*a*a*a*b");
    patterns[2] = maybe("[");
    dir_input.include = below(3) == 0 ? NULL : patterns;
    dir_input.include_count = below(4);
    dir_input.exclude = below(2) ? NULL : patterns;
    dir_input.exclude_count = dir_input.exclude ? below(4) : 0;
    dir_input.follow_symlinks = below(2);
    dir_input.file_concurrency = below(2) ? 0 : (uint32_t)hostile_number();
    dir_input.max_connections = below(2) ? 0 : 1 + below(4);
    dir_input.part_size = below(2) ? 0 : hostile_number();
    dir_input.continue_on_error = below(2);
    fill_attributes(&dir_input.attributes);
    dir_budget.spent_at = 0;
    dir_budget.hook = hook != NULL ? hook : (own_dir_hook = tos_cancel_hook_new());
    dir_input.cancel_hook = dir_budget.hook;
    dir_input.progress_cb = spend_dir_budget;
    dir_input.progress_user_data = &dir_budget;
    rc = tos_upload_dir(server_client, &dir_input, &dir_out, &error);
    tos_cancel_hook_free(own_dir_hook);
    /* Generous for valgrind; the 200 ms bound itself is measured by test_pause_abort_latency. */
    CHECK(dir_budget.spent_at == 0 || tu_now() - dir_budget.spent_at < 5.0,
          "tos_upload_dir returned %.1f s after it was aborted", tu_now() - dir_budget.spent_at);
    CHECK((rc == TOS_OK || rc == TOS_ERR_SOME_FILES_FAILED) == (dir_out != NULL),
          "tos_upload_dir: output and %s disagree", tos_result_name(rc));
    tos_upload_dir_output_free(dir_out);
    check_result("tos_upload_dir", rc, error);
    fuzz_listing(server_client, hook);
    tos_cancel_hook_free(hook);
}

static void run(uint64_t seed, unsigned iterations, const tos_client *client) {
    unsigned i;
    printf("fuzz_inputs: seed %llu, %u iterations (replay: fuzz_inputs %u %llu)\n", (unsigned long long)seed,
           iterations, iterations, (unsigned long long)seed);
    fflush(stdout);
    state = seed ? seed : 1;
    for (i = 0; i < iterations && tu_failures == 0; i++) {
        one_round(client);
    }
}

int main(int argc, char **argv) {
    unsigned iterations = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : (tu_under_valgrind() ? 40 : 300);
    const tos_client *client;
    unsigned i;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    for (i = 0; i < 3; i++) {
        snprintf(files[i], sizeof files[i], "%s/f%u.bin", dir, i);
        if (tu_make_file(files[i], i == 0 ? 0 : 4096u << (4 * i)) != 0) {
            perror("test file");
            return 1;
        }
    }
    client = tu_client();
    if (argc > 2 && strcmp(argv[2], "random") == 0) {
        unsigned runs = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
        for (i = 0; i < runs; i++) {
            run(((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32)) + i * 0x9E3779B97F4A7C15ULL, iterations,
                client);
        }
    } else if (argc > 2) {
        run(strtoull(argv[2], NULL, 10), iterations, client);
    } else {
        run(1, iterations, client);
        run(LARGE_TREE_SEED, iterations, client);
        run(THIRD_FIXED_SEED, iterations, client);
    }
    tos_client_free(client);
    for (i = 0; i < 3; i++) {
        unlink(files[i]);
    }
    rmdir(dir); /* each run made one: left, they piled up in /tmp */
    printf("fuzz_inputs: %u folder uploads of a large tree stopped by their budget\n", budget_spent);
    printf("fuzz_inputs: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
