// The header alone must compile as C++17 with -Wall -Wextra -Wpedantic -Werror.
#include "tosupload.h"

int tos_header_only_check_cxx();
int tos_header_only_check_cxx() {
    tos_upload_file_input input{};
    tos_client_options options{};
    (void)input;
    (void)options;
    tos_result r = TOS_OK;
    return static_cast<int>(r) + static_cast<int>(TOS_ADDRESSING_AUTO) + TOS_VERSION_MINOR;
}
