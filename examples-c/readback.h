/*
 * readback: reads an object back from the local server (tos-local-server's admin API,
 * GET $TOS_ADMIN_URL/object?bucket=B&key=K) and compares it with a local file byte for byte,
 * streaming, so the demo's "identical" rests on the stored bytes and not on the upload's own
 * CRC. Only for the local server: real TOS has no admin API (use a GetObject there).
 */
#ifndef TOSUPLOAD_EXAMPLE_READBACK_H
#define TOSUPLOAD_EXAMPLE_READBACK_H

#include <stddef.h>

/* 0 when the object's bytes are the file's; otherwise -1 with the reason in why. */
int readback_compare(const char *bucket, const char *key, const char *path, char *why, size_t why_len);

#endif
