/*
 * The header included the way a library that hides everything it includes would: under
 * #pragma GCC visibility push(hidden). Without TOS_API on the declarations this program does
 * not link ("hidden symbol tos_version isn't defined"). Also checks that TOS_VERSION_NUM is
 * MAJOR*10000 + MINOR*100 + PATCH and that the loaded library is the header's version.
 */
#pragma GCC visibility push(hidden)
#include "tosupload.h"
#pragma GCC visibility pop

#include <stdio.h>
#include <string.h>

#if TOS_VERSION_NUM != TOS_VERSION_MAJOR * 10000 + TOS_VERSION_MINOR * 100 + TOS_VERSION_PATCH
#error "TOS_VERSION_NUM disagrees with TOS_VERSION_MAJOR/MINOR/PATCH"
#endif

int main(void) {
    char header[32];
    snprintf(header, sizeof header, "%d.%d.%d", TOS_VERSION_MAJOR, TOS_VERSION_MINOR, TOS_VERSION_PATCH);
    if (strcmp(tos_version(), header) != 0) {
        fprintf(stderr, "library %s, header %s\n", tos_version(), header);
        return 1;
    }
    printf("test_header_visibility: library %s = header %s (TOS_VERSION_NUM %d)\n", tos_version(), header,
           TOS_VERSION_NUM);
    return 0;
}
