/*
 * An out-of-tree consumer of the installed library, built once with
 * `pkg-config --cflags --libs tosupload` and once through find_package(tosupload): uploads a
 * 12 MiB + 3 byte file in 5 MiB parts and checks the object's CRC-64 against its own
 * CRC-64/XZ of the file, that the object's bytes, read back from the local server's admin API
 * (GET $TOS_ADMIN_URL/object), are the file's, and that the library and header versions agree.
 * Self-contained on purpose (only the installed header and libc): it stands for a downstream
 * project, so it does not include the in-tree test helpers.
 */
#include <tosupload.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static uint64_t crc64_xz(const unsigned char *p, size_t n) {
    static uint64_t table[256];
    uint64_t crc = ~(uint64_t)0;
    size_t i;
    int k;
    if (table[1] == 0) {
        for (i = 0; i < 256; i++) {
            uint64_t c = i;
            for (k = 0; k < 8; k++) {
                c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
            }
            table[i] = c;
        }
    }
    for (i = 0; i < n; i++) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/* Appends s to out percent-encoded (RFC 3986 unreserved characters kept); out has room. */
static void query_escape(char *out, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            *out++ = (char)c;
        } else {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out = '\0';
}

/* The value of header `name` in NUL-terminated CRLF-separated response headers, or NULL. */
static const char *header(const char *head, const char *name) {
    const char *p = head;
    size_t n = strlen(name);
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            return p;
        }
    }
    return NULL;
}

/*
 * The stored bytes of bucket/key from the local server's admin API, TOS_ADMIN_URL (like
 * http://127.0.0.1:PORT/__admin) + "/object?bucket=B&key=K": a minimal HTTP/1.1 GET over a
 * POSIX socket. Returns the body (malloc'd) and its length, or NULL with a message on stderr.
 * The body is framed by Content-Length (what the server sends) or chunked encoding.
 */
static unsigned char *admin_get_object(const char *bucket, const char *key, size_t *len_out) {
    const char *url = getenv("TOS_ADMIN_URL"), *p, *colon, *slash;
    char host[256], port[16], request[2048], qbucket[3 * 64 + 1], qkey[3 * 64 + 1];
    char *raw = NULL, *head_end, *q;
    unsigned char *body = NULL;
    size_t cap = 0, len = 0, body_len = 0, sent = 0, request_len;
    struct addrinfo hints, *ai = NULL;
    int fd = -1, status = 0, n;

    if (url == NULL || strncmp(url, "http://", 7) != 0 || strlen(bucket) > 64 || strlen(key) > 64) {
        fprintf(stderr, "TOS_ADMIN_URL %s: want http://HOST:PORT/PATH\n", url ? url : "(unset)");
        return NULL;
    }
    p = url + 7;
    colon = strchr(p, ':');
    slash = strchr(p, '/');
    if (colon == NULL || slash == NULL || colon > slash || (size_t)(colon - p) >= sizeof host ||
        (size_t)(slash - colon - 1) >= sizeof port) {
        fprintf(stderr, "cannot parse TOS_ADMIN_URL %s\n", url);
        return NULL;
    }
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    memcpy(port, colon + 1, (size_t)(slash - colon - 1));
    port[slash - colon - 1] = '\0';
    query_escape(qbucket, bucket);
    query_escape(qkey, key);
    n = snprintf(request, sizeof request,
                 "GET %s/object?bucket=%s&key=%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", slash,
                 qbucket, qkey, host, port);
    if (n < 0 || (size_t)n >= sizeof request) {
        fprintf(stderr, "admin request too long\n");
        return NULL;
    }
    request_len = (size_t)n;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
        fprintf(stderr, "cannot resolve %s:%s\n", host, port);
        return NULL;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("connect to the admin API");
        goto fail;
    }
    while (sent < request_len) {
        ssize_t w = write(fd, request + sent, request_len - sent);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            perror("write to the admin API");
            goto fail;
        }
        sent += (size_t)w;
    }
    for (;;) {
        ssize_t got;
        if (cap - len < 65536) {
            char *bigger;
            cap = cap ? cap * 2 : 1 << 20;
            if ((bigger = realloc(raw, cap + 1)) == NULL) {
                perror("realloc");
                goto fail;
            }
            raw = bigger;
        }
        got = read(fd, raw + len, cap - len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            perror("read from the admin API");
            goto fail;
        }
        if (got == 0) {
            break;
        }
        len += (size_t)got;
    }
    if (raw == NULL) {
        goto fail;
    }
    raw[len] = '\0';
    if (sscanf(raw, "HTTP/1.%*d %d", &status) != 1 || (head_end = strstr(raw, "\r\n\r\n")) == NULL) {
        fprintf(stderr, "malformed admin API response\n");
        goto fail;
    }
    if (status != 200) {
        fprintf(stderr, "GET /object: HTTP %d: %.200s\n", status, head_end + 4);
        goto fail;
    }
    head_end[2] = '\0'; /* the headers, each line ending in CRLF; the body from head_end + 4 */
    body = malloc(len + 1);
    if (body == NULL) {
        perror("malloc");
        goto fail;
    }
    q = head_end + 4;
    if ((p = header(raw, "transfer-encoding")) != NULL && strncasecmp(p, "chunked", 7) == 0) {
        for (;;) {
            char *eol = q < raw + len ? strstr(q, "\r\n") : NULL;
            size_t chunk = eol ? (size_t)strtoul(q, NULL, 16) : 0;
            if (eol == NULL || (size_t)(eol + 2 - raw) + chunk > len) {
                fprintf(stderr, "truncated chunked body\n");
                goto fail;
            }
            if (chunk == 0) {
                break;
            }
            memcpy(body + body_len, eol + 2, chunk);
            body_len += chunk;
            q = eol + 2 + chunk + 2;
        }
    } else {
        body_len = len - (size_t)(q - raw);
        if ((p = header(raw, "content-length")) != NULL && (size_t)strtoull(p, NULL, 10) != body_len) {
            fprintf(stderr, "admin API body has %zu bytes, Content-Length %s\n", body_len, p);
            goto fail;
        }
        memcpy(body, q, body_len);
    }
    freeaddrinfo(ai);
    close(fd);
    free(raw);
    *len_out = body_len;
    return body;
fail:
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    if (fd >= 0) {
        close(fd);
    }
    free(raw);
    free(body);
    return NULL;
}

int main(int argc, char **argv) {
    const size_t size = 12u * 1024 * 1024 + 3;
    const char *bucket = getenv("TOS_TEST_BUCKET");
    const char *how = argc > 1 ? argv[1] : "consumer";
    char dir[] = "/tmp/tos-consumer-XXXXXX", path[64], key[64], version[32];
    unsigned char *data = NULL, *got = NULL;
    FILE *f = NULL;
    size_t i, got_len = 0;
    uint64_t want;
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "run under scripts/with_server.py\n");
        return 2;
    }
    snprintf(version, sizeof version, "%d.%d.%d", TOS_VERSION_MAJOR, TOS_VERSION_MINOR, TOS_VERSION_PATCH);
    if (strcmp(version, tos_version()) != 0) {
        fprintf(stderr, "library %s, header %s\n", tos_version(), version);
        return 1;
    }
    if (mkdtemp(dir) == NULL || (data = malloc(size)) == NULL) {
        perror("setup");
        return 1;
    }
    for (i = 0; i < size; i++) {
        data[i] = (unsigned char)(i * 7 + i / 1000);
    }
    want = crc64_xz(data, size);
    snprintf(path, sizeof path, "%s/data.bin", dir);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(data);
    data = NULL;
    f = NULL;

    tos_client_options_init(&options); /* endpoint, region and keys from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    tos_upload_file_input_init(&input);
    snprintf(key, sizeof key, "packaging/%s.bin", how);
    input.bucket = bucket;
    input.key = key;
    input.file_path = path;
    input.part_size = 5 * 1024 * 1024;
    input.task_num = 3;
    input.disable_checkpoint = true;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_upload_file: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    if (tos_upload_file_output_crc64(output) != want || tos_upload_file_output_bytes_sent(output) != size) {
        fprintf(stderr, "crc64 %llu, want %llu; %llu bytes sent\n", (unsigned long long)tos_upload_file_output_crc64(output),
                (unsigned long long)want, (unsigned long long)tos_upload_file_output_bytes_sent(output));
        goto out;
    }
    /* The object's bytes as stored by the server, against the file's, byte for byte. */
    if ((got = admin_get_object(bucket, key, &got_len)) == NULL) {
        goto out;
    }
    f = fopen(path, "rb");
    if (f == NULL || (data = malloc(size + 1)) == NULL || fread(data, 1, size + 1, f) != size) {
        perror(path);
        goto out;
    }
    for (i = 0; i < got_len && i < size && got[i] == data[i]; i++) {
    }
    if (got_len != size || i != size) {
        fprintf(stderr, "object read back: %zu bytes, file: %zu bytes; first difference at offset %zu\n", got_len,
                size, i);
        goto out;
    }
    printf("%s: uploaded %zu bytes in 3 parts, crc64 %llu and bytes read back verified (libtosupload %s)\n", how,
           size, (unsigned long long)want, tos_version());
    status = 0;
out:
    if (f != NULL) {
        fclose(f);
    }
    free(data);
    free(got);
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    unlink(path);
    rmdir(dir);
    return status;
}
