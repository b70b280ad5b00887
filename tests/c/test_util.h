/*
 * Small helpers shared by the C tests: environment, test files, failure reporting, and a
 * tiny HTTP/1.0 client (POSIX sockets, loopback only) for the local server's admin API.
 */
#ifndef TOS_TEST_UTIL_H
#define TOS_TEST_UTIL_H

#include "tosupload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int tu_failures = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            tu_failures++;                                                 \
        }                                                                  \
    } while (0)

static inline const char *tu_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set: run this under scripts/with_server.py\n", name);
        exit(2);
    }
    return value;
}

static inline double tu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int tu_under_valgrind(void) {
    const char *v = getenv("TOS_UNDER_VALGRIND");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* How soon a cancelled call must return in a test, in seconds. The product's target is
 * 200 ms, and the benchmark measures it (bench/README.md, the pause/abort p99 target); a
 * test on a loaded, shared machine asserts only a bound that no working cancel comes near,
 * so it fails on a cancel that waits for stalled or rate-limited parts to finish, never on
 * a busy scheduler. */
static inline double tu_cancel_limit_s(void) {
    return tu_under_valgrind() ? 4.0 : 2.0;
}

/* Writes `size` bytes of a deterministic pattern to `path`. Returns 0 on success. */
static inline int tu_make_file(const char *path, uint64_t size) {
    FILE *f = fopen(path, "wb");
    static unsigned char buf[1 << 16];
    uint64_t written = 0;
    uint32_t x = 2463534242u;
    if (f == NULL) {
        return -1;
    }
    while (written < size) {
        size_t n = sizeof buf, i;
        if (size - written < n) {
            n = (size_t)(size - written);
        }
        for (i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (unsigned char)x;
        }
        if (fwrite(buf, 1, n, f) != n) {
            fclose(f);
            return -1;
        }
        written += n;
    }
    return fclose(f);
}

/* A client from the TOS_* environment (which tos_client_new also reads by itself). */
/* A client of the test server; `max_requests_per_second` 0 = no cap. */
static inline const tos_client *tu_client_capped(uint32_t max_requests_per_second) {
    tos_client_options options;
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;
    tos_client_options_init(&options);
    options.endpoint = tu_env("TOS_ENDPOINT");
    options.region = tu_env("TOS_REGION");
    options.access_key = tu_env("TOS_ACCESS_KEY");
    options.secret_key = tu_env("TOS_SECRET_KEY");
    options.max_retry_count = 2;
    options.max_requests_per_second = max_requests_per_second;
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        tos_error_free(error);
        exit(1);
    }
    return client;
}

static inline const tos_client *tu_client(void) {
    return tu_client_capped(0);
}

/* A token bucket for a test; exits when the library refuses the values. */
static inline const tos_rate_limiter *tu_rate_limiter(uint64_t rate, uint64_t burst) {
    const tos_rate_limiter *limiter = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_rate_limiter_new(rate, burst, &limiter, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_rate_limiter_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        tos_error_free(error);
        exit(1);
    }
    return limiter;
}

/* A thread body (pthread_create(&t, NULL, tu_cancel_later, &canceller)) that calls
 * tos_cancel(hook, is_abort) after delay_s and records when, to measure how fast an upload
 * answers. */
struct tu_canceller {
    const tos_cancel_hook *hook;
    int is_abort;
    double delay_s, cancelled_at;
};

static inline void *tu_cancel_later(void *arg) {
    struct tu_canceller *c = arg;
    struct timespec ts;
    ts.tv_sec = (time_t)c->delay_s;
    ts.tv_nsec = (long)((c->delay_s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    c->cancelled_at = tu_now();
    CHECK(tos_cancel(c->hook, c->is_abort) == TOS_OK, "tos_cancel");
    return NULL;
}

/* ---- admin API over HTTP/1.0 ----------------------------------------------------------- */

/* Parses TOS_ADMIN_URL (http://127.0.0.1:PORT/__admin). */
static inline void tu_admin_addr(char *host, size_t host_len, int *port, char *prefix, size_t prefix_len) {
    const char *url = tu_env("TOS_ADMIN_URL");
    const char *p = strstr(url, "://");
    const char *colon, *slash;
    p = p ? p + 3 : url;
    colon = strchr(p, ':');
    slash = strchr(p, '/');
    if (colon == NULL || slash == NULL || colon > slash || (size_t)(colon - p) >= host_len) {
        fprintf(stderr, "cannot parse TOS_ADMIN_URL %s\n", url);
        exit(2);
    }
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    *port = atoi(colon + 1);
    snprintf(prefix, prefix_len, "%s", slash);
}

/* Sends one request to the admin API; returns the response body (malloc'd, caller frees,
 * NUL-terminated, binary-safe: its length in *len_out when not NULL) or NULL, and the
 * status in *status_out. */
static inline char *tu_admin_bytes(const char *method, const char *path, const char *body, int *status_out,
                                   size_t *len_out) {
    char host[64], prefix[128], *request, *response = NULL;
    size_t cap = 0, len = 0, body_len = body ? strlen(body) : 0;
    int port, fd, n;
    struct sockaddr_in addr;
    char *header_end;

    tu_admin_addr(host, sizeof host, &port, prefix, sizeof prefix);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return NULL;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    request = malloc(body_len + 512);
    n = snprintf(request, 512,
                 "%s %s%s HTTP/1.0\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 method, prefix, path, host, port, body_len);
    if (body_len) {
        memcpy(request + n, body, body_len);
    }
    if (write(fd, request, (size_t)n + body_len) != (ssize_t)((size_t)n + body_len)) {
        free(request);
        close(fd);
        return NULL;
    }
    free(request);
    for (;;) {
        ssize_t got;
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            response = realloc(response, cap);
        }
        got = read(fd, response + len, cap - len - 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        len += (size_t)got;
    }
    close(fd);
    if (response == NULL) {
        return NULL;
    }
    response[len] = '\0';
    if (status_out) {
        *status_out = 0;
        sscanf(response, "HTTP/%*s %d", status_out);
    }
    header_end = strstr(response, "\r\n\r\n");
    if (header_end == NULL) {
        free(response);
        return NULL;
    }
    len -= (size_t)(header_end + 4 - response);
    memmove(response, header_end + 4, len + 1);
    if (len_out) {
        *len_out = len;
    }
    return response;
}

static inline char *tu_admin(const char *method, const char *path, const char *body, int *status_out) {
    return tu_admin_bytes(method, path, body, status_out, NULL);
}

static inline void tu_add_fault(const char *rule_json) {
    int status = 0;
    char *reply = tu_admin("POST", "/faults", rule_json, &status);
    if (reply == NULL || status != 200) {
        fprintf(stderr, "adding fault %s failed (HTTP %d): %s\n", rule_json, status, reply ? reply : "");
        exit(1);
    }
    free(reply);
}

/* A clear that silently failed would leave an earlier test's faults armed, or its requests
 * counted: the test would then check the wrong thing. Exits on anything but 200. */
static inline void tu_admin_delete_or_exit(const char *path) {
    int status = 0;
    char *reply = tu_admin("DELETE", path, NULL, &status);
    if (reply == NULL || status != 200) {
        fprintf(stderr, "DELETE %s failed (HTTP %d): %s\n", path, status, reply ? reply : "");
        exit(1);
    }
    free(reply);
}

static inline void tu_clear_faults(void) {
    tu_admin_delete_or_exit("/faults");
}

static inline void tu_clear_log(void) {
    tu_admin_delete_or_exit("/log");
}

static inline char *tu_log(void) {
    int status = 0;
    char *log = tu_admin("GET", "/log", NULL, &status);
    if (log == NULL || status != 200) {
        fprintf(stderr, "GET /log failed (HTTP %d)\n", status);
        exit(1);
    }
    return log;
}

/* Reads integer field `name` of one flat JSON object [obj, end); -1 when absent or null. */
static inline long tu_json_int(const char *obj, const char *end, const char *name) {
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    p = strstr(obj, pattern);
    if (p == NULL || p >= end) {
        return -1;
    }
    p += strlen(pattern);
    if (*p == 'n') {
        return -1;
    }
    return strtol(p, NULL, 10);
}

static inline int tu_json_str_is(const char *obj, const char *end, const char *name, const char *value) {
    char pattern[128];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":\"%s\"", name, value);
    p = strstr(obj, pattern);
    return p != NULL && p < end;
}

/* Counts log entries with op `op` (and status `status`, or any status if < 0). */
static inline int tu_log_count(const char *log, const char *op, long status) {
    int count = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL) {
            break;
        }
        if (tu_json_str_is(p, end, "op", op) && (status < 0 || tu_json_int(p, end, "status") == status)) {
            count++;
        }
        p = end + 1;
    }
    return count;
}

/* Number of entries in the log. */
static inline int tu_log_entries(const char *log) {
    int count = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        count++;
        p++;
    }
    return count;
}

/* Whether the files at `a` and `b` hold the same bytes (false when either cannot be read). */
static inline int tu_same_bytes(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    static unsigned char buf_a[1 << 16], buf_b[1 << 16];
    size_t na, nb;
    int same = fa != NULL && fb != NULL;
    while (same) {
        na = fread(buf_a, 1, sizeof buf_a, fa);
        nb = fread(buf_b, 1, sizeof buf_b, fb);
        same = na == nb && memcmp(buf_a, buf_b, na) == 0;
        if (na == 0) {
            break;
        }
    }
    if (fa != NULL) {
        fclose(fa);
    }
    if (fb != NULL) {
        fclose(fb);
    }
    return same;
}

#endif
