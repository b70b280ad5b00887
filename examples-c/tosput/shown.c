/* Names as tosput prints them: a file name or key may hold a line break (which would split the
 * line and could forge the next one) or bytes that are not UTF-8 (which a terminal garbles).
 * Both are printed as escapes; everything else, non-ASCII UTF-8 included, as it is. */
#include "tosput.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when s does not start one. */
static size_t utf8_sequence(const unsigned char *s) {
    size_t len, i;
    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
    } else {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] > 0x8f)) {
        return 0;
    }
    return len;
}

int tosput_is_utf8(const char *text) {
    const unsigned char *s = (const unsigned char *)text;
    while (*s != '\0') {
        size_t len = utf8_sequence(s);
        if (len == 0) {
            return 0;
        }
        s += len;
    }
    return 1;
}

const char *tosput_shown(const char *name, char *out, size_t out_len) {
    const unsigned char *s = (const unsigned char *)name;
    size_t used = 0;
    if (out_len == 0) {
        return out;
    }
    while (*s != '\0') {
        char piece[8];
        size_t len = utf8_sequence(s), piece_len;
        if (len == 1 && (*s < 0x20 || *s == 0x7f)) {
            const char *named = *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : NULL;
            piece_len = named ? (size_t)snprintf(piece, sizeof piece, "%s", named)
                              : (size_t)snprintf(piece, sizeof piece, "\\x%02x", *s);
        } else if (len == 0) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\x%02x", *s);
            len = 1;
        } else if (*s == '\\') {
            /* So that "\x0a" in a real name cannot pass for an escaped line break. */
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\\\");
        } else {
            memcpy(piece, s, len);
            piece_len = len;
        }
        if (used + piece_len + 4 > out_len) { /* room for "..." and the NUL */
            if (used + 4 <= out_len) {
                memcpy(out + used, "...", 3);
                used += 3;
            }
            break;
        }
        memcpy(out + used, piece, piece_len);
        used += piece_len;
        s += len;
    }
    out[used] = '\0';
    return out;
}
