/* See readback.h. Plain HTTP/1.0 over a POSIX socket, so the reply is never chunked. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "readback.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192

static int fail(char *why, size_t why_len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Appends the percent-encoding of s to out (of size cap); -1 if it does not fit. */
static int escape(char *out, size_t cap, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (n + 4 >= cap) {
            return -1;
        }
        if (plain) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return 0;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *ai = NULL, *p;
    int fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        return -1;
    }
    for (p = ai; p != NULL && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

static ssize_t read_some(int fd, char *buf, size_t len) {
    ssize_t n;
    do {
        n = read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

/* Compares the body (its first have bytes already in body) with the file; -1 on a difference. */
static int compare_body(int fd, FILE *f, const char *body, size_t have, unsigned long long length, char *why,
                        size_t why_len) {
    static char net[1 << 16], disk[1 << 16];
    unsigned long long offset = 0;
    for (;;) {
        size_t i;
        if (have > 0) {
            if (offset + have > length) {
                return fail(why, why_len, "the server sent more than its Content-Length %llu", length);
            }
            if (fread(disk, 1, have, f) != have) {
                return fail(why, why_len, "the object is longer than the file (%llu bytes or more)", offset + have);
            }
            for (i = 0; i < have; i++) {
                if (body[i] != disk[i]) {
                    return fail(why, why_len, "first difference at byte %llu", offset + i);
                }
            }
            offset += have;
        }
        if (offset == length) {
            break;
        }
        {
            ssize_t n = read_some(fd, net, sizeof net);
            if (n <= 0) {
                return fail(why, why_len, "the reply ended after %llu of %llu bytes", offset, length);
            }
            body = net;
            have = (size_t)n;
        }
    }
    if (fread(disk, 1, 1, f) != 0) {
        return fail(why, why_len, "the file is longer than the object (%llu bytes)", length);
    }
    return 0;
}

int readback_compare(const char *bucket, const char *key, const char *path, char *why, size_t why_len) {
    const char *url = getenv("TOS_ADMIN_URL");
    char host[256], port[16], request[2048], target[1536], head[HEAD_MAX + 1];
    const char *p, *colon, *slash, *cl;
    size_t head_len = 0;
    unsigned long long length;
    int fd, status = 0, rc;
    FILE *f;
    char *end;

    if (url == NULL || strncmp(url, "http://", 7) != 0) {
        return fail(why, why_len, "TOS_ADMIN_URL is not set to http://HOST:PORT/__admin (the local server's)");
    }
    p = url + 7;
    colon = strchr(p, ':');
    slash = strchr(p, '/');
    if (colon == NULL || slash == NULL || colon > slash || (size_t)(colon - p) >= sizeof host ||
        (size_t)(slash - colon - 1) >= sizeof port) {
        return fail(why, why_len, "cannot parse TOS_ADMIN_URL %s", url);
    }
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    memcpy(port, colon + 1, (size_t)(slash - colon - 1));
    port[slash - colon - 1] = '\0';
    snprintf(target, sizeof target, "%s/object?bucket=", slash);
    if (escape(target, sizeof target, bucket) != 0 || strlen(target) + 5 >= sizeof target) {
        return fail(why, why_len, "bucket name too long");
    }
    strcat(target, "&key=");
    if (escape(target, sizeof target, key) != 0) {
        return fail(why, why_len, "key too long");
    }
    snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n", target, host, port);

    fd = connect_to(host, port);
    if (fd < 0) {
        return fail(why, why_len, "cannot connect to %s:%s", host, port);
    }
    if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return fail(why, why_len, "cannot send the request");
    }
    /* The head, then whatever part of the body came with it. */
    for (;;) {
        ssize_t n;
        if (head_len == HEAD_MAX) {
            close(fd);
            return fail(why, why_len, "reply head longer than %d bytes", HEAD_MAX);
        }
        n = read_some(fd, head + head_len, HEAD_MAX - head_len);
        if (n <= 0) {
            close(fd);
            return fail(why, why_len, "the reply ended inside its head");
        }
        head_len += (size_t)n;
        head[head_len] = '\0';
        end = strstr(head, "\r\n\r\n");
        if (end != NULL) {
            break;
        }
    }
    *end = '\0';
    if (sscanf(head, "HTTP/%*d.%*d %d", &status) != 1 || status != 200) {
        close(fd);
        return fail(why, why_len, "HTTP status %d from the admin API", status);
    }
    for (cl = head; (cl = strchr(cl, '\n')) != NULL; cl++) {
        if (strncasecmp(cl + 1, "content-length:", 15) == 0) {
            break;
        }
    }
    if (cl == NULL || sscanf(cl + 16, "%llu", &length) != 1) {
        close(fd);
        return fail(why, why_len, "the reply has no Content-Length");
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        close(fd);
        return fail(why, why_len, "cannot open %s: %s", path, strerror(errno));
    }
    rc = compare_body(fd, f, end + 4, head_len - (size_t)(end + 4 - head), length, why, why_len);
    fclose(f);
    close(fd);
    return rc;
}
