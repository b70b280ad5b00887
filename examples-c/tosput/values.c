/* tosput's option values: sizes ("20M"), counts and durations ("24h"), checked before
 * anything is sent so a bad value is a usage error (exit 2) naming the option, not a failed
 * upload. */
#include "tosput.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tosput_parse_size(const char *text, uint64_t *out) {
    char *end;
    double value, scale = 1;
    if (text == NULL || *text == '\0' || *text == '-' || *text == '+') {
        return -1;
    }
    errno = 0;
    value = strtod(text, &end);
    if (end == text || errno != 0 || !(value >= 0)) {
        return -1;
    }
    switch (*end) {
    case 'k': case 'K': scale = 1024.0; end++; break;
    case 'm': case 'M': scale = 1024.0 * 1024; end++; break;
    case 'g': case 'G': scale = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (scale > 1 && (*end == 'i' || *end == 'I')) {
        end++;
    }
    if (*end == 'b' || *end == 'B') {
        end++;
    }
    if (strcmp(end, "/s") == 0) {
        end += 2;
    }
    value *= scale;
    if (*end != '\0' || value > 1.8e19 || value != (double)(uint64_t)value) {
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

int tosput_parse_part_size(const char *text, uint64_t *out) {
    uint64_t size;
    if (tosput_parse_size(text, &size) != 0 || size < TOSPUT_MIN_PART_SIZE || size > TOSPUT_MAX_PART_SIZE) {
        return -1;
    }
    *out = size;
    return 0;
}

int tosput_parse_count(const char *text, uint32_t *out) {
    uint64_t value;
    char *end;
    if (text == NULL || *text < '0' || *text > '9') {
        return -1;
    }
    errno = 0;
    value = strtoull(text, &end, 10);
    if (*end != '\0' || errno != 0 || value == 0 || value > 100000) {
        return -1;
    }
    *out = (uint32_t)value;
    return 0;
}

/* Whole units only (no "1.5h"): an age to compare with the server's initiated times, which
 * are in seconds anyway. */
int tosput_parse_duration(const char *text, int64_t *out) {
    int64_t total = 0;
    if (text == NULL || *text == '\0') {
        return -1;
    }
    while (*text != '\0') {
        int64_t number = 0, unit;
        if (*text < '0' || *text > '9') {
            return -1;
        }
        while (*text >= '0' && *text <= '9') {
            if (number > (INT64_MAX - 9) / 10) {
                return -1;
            }
            number = number * 10 + (*text++ - '0');
        }
        switch (*text++) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return -1;
        }
        if (number > (INT64_MAX - total) / unit) {
            return -1;
        }
        total += number * unit;
    }
    *out = total;
    return 0;
}
