/* Where tosput puts things, by the rules of `aws s3 cp` and tosutil, so a destination means
 * what users of those tools expect:
 *
 *   put FILE tos://b/dir/name   -> dir/name
 *   put FILE tos://b/dir/       -> dir/ + FILE's base name
 *   put FILE tos://b or tos://b/-> FILE's base name
 *   put - tos://b/dir/name      -> dir/name (standard input has no name: a KEY is needed)
 *   put-dir DIR tos://b/dir     -> dir/ + each path (a prefix is a folder: the / is added)
 *   put-dir DIR tos://b/dir/    -> the same
 *   put-dir DIR tos://b         -> each path, no prefix
 *   get tos://b/dir/name FILE   -> object dir/name (a KEY is needed; FILE may be a directory,
 *                                  then the library puts the key's last segment in it)
 *   get-dir tos://b/dir DIR     -> every object under dir/ (a prefix is a folder, as for
 *                                  put-dir, so dir2/x is not under tos://b/dir)
 *
 * s3:// follows the same rules. `uploads list|abort tos://b/PREFIX` takes PREFIX as it is: it
 * filters keys by their start, as the server's own listing does (tos://b/stale matches
 * stale/x and stalemate). */
#include "tosput.h"

#include <stdlib.h>
#include <string.h>

/* The last path component of FILE, or NULL when it names none an object could be called
 * after ("-", "dir/", ".", ".."). */
static const char *base_name(const char *file, size_t *len) {
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(file, "-") == 0) {
        return NULL;
    }
    *len = strlen(base);
    return base;
}

static char *joined(const char *a, size_t a_len, const char *b, size_t b_len) {
    char *out = malloc(a_len + b_len + 1);
    if (out != NULL) {
        memcpy(out, a, a_len);
        memcpy(out + a_len, b, b_len);
        out[a_len + b_len] = '\0';
    }
    return out;
}

/* tos://BUCKET[/REST] or s3://BUCKET[/REST]: whether it is s3, the bucket (malloc'd) and the
 * rest (pointing into `target`, "" when none). Returns 0 on success. */
static int split_target(const char *target, int *s3, char **bucket, const char **rest) {
    const char *after, *slash;
    if (strncmp(target, "tos://", 6) == 0) {
        *s3 = 0;
        after = target + 6;
    } else if (strncmp(target, "s3://", 5) == 0) {
        *s3 = 1;
        after = target + 5;
    } else {
        return -1;
    }
    slash = strchr(after, '/');
    *rest = slash ? slash + 1 : after + strlen(after);
    *bucket = strndup(after, (size_t)((slash ? slash : *rest) - after));
    if (*bucket == NULL || (*bucket)[0] == '\0') {
        free(*bucket);
        *bucket = NULL;
        return -1;
    }
    return 0;
}

int tosput_resolve_destination(struct tosput_args *args, const char *target, char *why, size_t why_len) {
    const char *rest, *base;
    size_t rest_len, base_len = 0;
    int uploads = args->command == CMD_UPLOADS_LIST || args->command == CMD_UPLOADS_ABORT;
    const char *rest_name = uploads || args->command == CMD_GET_DIR ? "PREFIX" : "KEY";

    if (strncmp(target, "tos://", 6) != 0 && strncmp(target, "s3://", 5) != 0) {
        snprintf(why, why_len, "'%s' is not tos://BUCKET[/%s] or s3://BUCKET[/%s]", target,
                 rest_name, rest_name);
        return -1;
    }
    if (split_target(target, &args->s3, &args->bucket, &rest) != 0) {
        snprintf(why, why_len, "'%s' names no bucket", target);
        return -1;
    }
    rest_len = strlen(rest);
    if (uploads) {
        args->key = joined(rest, rest_len, "", 0);
    } else if (args->command == CMD_GET) {
        /* The library refuses keys that would climb out of FILE's directory (`..`); an empty
         * one is a mistake on the command line, so it is a usage error here. */
        if (rest_len == 0) {
            snprintf(why, why_len, "'%s' names no object: give tos://BUCKET/KEY", target);
            return -1;
        }
        args->key = joined(rest, rest_len, "", 0);
    } else if (args->command == CMD_PUT_DIR || args->command == CMD_GET_DIR) {
        int add_slash = rest_len > 0 && rest[rest_len - 1] != '/';
        args->key = joined(rest, rest_len, "/", add_slash ? 1 : 0);
    } else if (rest_len > 0 && rest[rest_len - 1] != '/') {
        args->key = joined(rest, rest_len, "", 0);
    } else if ((base = base_name(args->source, &base_len)) != NULL) {
        args->key = joined(rest, rest_len, base, base_len);
        if (args->key != NULL && !tosput_is_utf8(args->key)) {
            static char shown[TOSPUT_SHOWN_MAX];
            snprintf(why, why_len,
                     "the file name of '%s' is not valid UTF-8, which an object key must be: give the key "
                     "(tos://BUCKET/KEY)",
                     tosput_shown(args->source, shown, sizeof shown));
            return -1;
        }
    } else if (strcmp(args->source, "-") == 0) {
        snprintf(why, why_len,
                 "'%s' is a prefix, and standard input (-) has no file name to add: give the full object key",
                 target);
        return -1;
    } else {
        snprintf(why, why_len, "'%s' ends in a folder and '%s' has no file name to add: give the object key",
                 target, args->source);
        return -1;
    }
    if (args->key == NULL) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    return 0;
}
