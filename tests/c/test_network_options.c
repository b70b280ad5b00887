/*
 * The 1.1 network options of tos_client_options through the C API (the tosput drivers
 * test_tosput_proxy.py and test_tosput_tls.py go through real proxies and TLS servers):
 *  - `proxy` pointing at a port where nothing listens fails the upload with TOS_ERR_NETWORK,
 *    its message naming the proxy but never its password;
 *  - `no_proxy` "*" with that same proxy uploads (no proxy at all), and so does `no_proxy`
 *    naming the endpoint's host;
 *  - a proxy that is not http(s)://, a missing `ca_file`, and a client certificate without its
 *    key are refused by tos_client_new, before anything is sent.
 */
#include "test_util.h"

static const char *bucket;
static char path[256];
static const char *const PASSWORD = "c-api-pr0xy-secret";

static tos_result make_client(const char *proxy, const char *no_proxy, const char *ca_file, const char *cert,
                              const tos_client **client, tos_error **error) {
    tos_client_options options;
    tos_client_options_init(&options);
    options.max_retry_count = -1;
    options.proxy = proxy;
    options.no_proxy = no_proxy;
    options.ca_file = ca_file;
    options.client_cert_file = cert;
    return tos_client_new(&options, client, error);
}

/* Uploads the test file through a client with these settings; the message of a failure goes
 * to `message` (size 1024). */
static tos_result upload_with(const char *proxy, const char *no_proxy, char *message) {
    const tos_client *client = NULL;
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = make_client(proxy, no_proxy, NULL, NULL, &client, &error);
    message[0] = '\0';
    if (rc == TOS_OK) {
        tos_upload_file_input_init(&input);
        input.bucket = bucket;
        input.key = "network-options/file.bin";
        input.file_path = path;
        input.disable_checkpoint = true;
        rc = tos_upload_file(client, &input, &output, &error);
    }
    if (error != NULL) {
        snprintf(message, 1024, "%s (cause: %s)", tos_error_message(error), tos_error_cause(error));
    }
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    return rc;
}

/* A loopback port nothing listens on: bound, then closed. */
static int dead_port(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

int main(void) {
    char proxy[256], message[1024], missing[256];
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;

    bucket = tu_env("TOS_TEST_BUCKET");
    snprintf(path, sizeof path, "/tmp/tos-network-options-%d.bin", (int)getpid());
    snprintf(missing, sizeof missing, "/tmp/tos-network-options-%d-missing.pem", (int)getpid());
    CHECK(tu_make_file(path, 4096) == 0, "test file");
    /* The caller's proxies must not steer the uploads below. */
    unsetenv("HTTP_PROXY");
    unsetenv("http_proxy");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    unsetenv("NO_PROXY");
    unsetenv("no_proxy");
    snprintf(proxy, sizeof proxy, "http://tester:%s@127.0.0.1:%d", PASSWORD, dead_port());

    rc = upload_with(proxy, NULL, message);
    CHECK(rc == TOS_ERR_NETWORK, "a proxy that is down: %s %s", tos_result_name(rc), message);
    CHECK(strstr(message, "through the proxy http://127.0.0.1:") != NULL, "the message names the proxy: %s",
          message);
    CHECK(strstr(message, PASSWORD) == NULL, "the message holds the proxy's password: %s", message);

    rc = upload_with(proxy, "*", message);
    CHECK(rc == TOS_OK, "no_proxy \"*\" bypasses the proxy: %s %s", tos_result_name(rc), message);
    rc = upload_with(proxy, "example.com,127.0.0.1", message);
    CHECK(rc == TOS_OK, "no_proxy naming 127.0.0.1 bypasses the proxy: %s %s", tos_result_name(rc), message);

    snprintf(proxy, sizeof proxy, "socks5://tester:%s@127.0.0.1:1080", PASSWORD);
    rc = make_client(proxy, NULL, NULL, NULL, &client, &error);
    CHECK(rc == TOS_ERR_INVALID_ARGUMENT && client == NULL, "a SOCKS proxy: %s", tos_result_name(rc));
    CHECK(error != NULL && strstr(tos_error_message(error), PASSWORD) == NULL, "the message holds the password");
    tos_error_free(error);
    error = NULL;

    rc = make_client(NULL, NULL, missing, NULL, &client, &error);
    CHECK(rc == TOS_ERR_FILE_NOT_FOUND && client == NULL, "a missing ca_file: %s", tos_result_name(rc));
    CHECK(error != NULL && strstr(tos_error_message(error), missing) != NULL, "the message names the file: %s",
          error ? tos_error_message(error) : "");
    tos_error_free(error);
    error = NULL;

    rc = make_client(NULL, NULL, NULL, path, &client, &error);
    CHECK(rc == TOS_ERR_INVALID_ARGUMENT && client == NULL, "client_cert_file without client_key_file: %s",
          tos_result_name(rc));
    tos_error_free(error);

    unlink(path);
    printf("test_network_options: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
