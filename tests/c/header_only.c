/* The header alone must compile as C99 with -Wall -Wextra -Wpedantic -Werror. */
#include "tosupload.h"

int tos_header_only_check(void);
int tos_header_only_check(void) {
    tos_upload_file_input input;
    tos_client_options options;
    (void)input;
    (void)options;
    return TOS_OK + TOS_ERR_PANIC + TOS_ADDRESSING_PATH_STYLE + TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED +
           TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED + TOS_VERSION_MAJOR;
}
