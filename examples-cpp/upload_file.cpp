// upload_file (C++): the basic upload of one file with the RAII wrapper tosupload.hpp.
//
//   upload_file_cpp [FILE [KEY]]
//
// Endpoint, region and credentials come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
// TOS_SECRET_KEY, the bucket from TOS_TEST_BUCKET. Without FILE it uploads a 12 MiB file it
// makes itself. Exits 0 on success, 1 on any failure.
#include "tosupload.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

int main(int argc, char **argv) {
    const char *bucket = std::getenv("TOS_TEST_BUCKET");
    if (bucket == nullptr) {
        std::cerr << "set TOS_TEST_BUCKET (and TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY)\n";
        return 1;
    }
    std::string file = argc > 1 ? argv[1] : "";
    std::string key = argc > 2 ? argv[2] : "examples/upload_file_cpp.bin";
    std::string made;
    if (file.empty()) {
        char dir[] = "/tmp/tos-example-cpp-XXXXXX";
        if (mkdtemp(dir) == nullptr) {
            std::perror("mkdtemp");
            return 1;
        }
        made = std::string(dir) + "/data.bin";
        std::vector<char> data(12u * 1024 * 1024);
        for (std::size_t i = 0; i < data.size(); i++) {
            data[i] = static_cast<char>((i * 31 + i / 4096) & 0xff);
        }
        std::ofstream(made, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
        file = made;
    }
    std::cout << "libtosupload " << tos::version() << "\n";

    int status = 1;
    try {
        tos::Client client; // endpoint, region and keys from the TOS_* environment
        tos::UploadFileInput input(bucket, key, file);
        input.with_part_size(5 * 1024 * 1024)
            .with_task_num(3)
            .with_content_type("application/octet-stream")
            .with_meta("example", "cpp")
            .with_progress([last = -1](const tos::Progress &p) mutable {
                int pct = p.total_bytes ? static_cast<int>(p.consumed_bytes * 100 / p.total_bytes) : 100;
                if (pct / 25 != last / 25 || p.kind == TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED) {
                    std::cout << "  " << pct << "%\n";
                    last = pct;
                }
            });
        tos::UploadFileOutput out = client.upload_file(input);
        std::cout << "uploaded " << file << " to tos://" << out.bucket << "/" << out.key << "\n"
                  << "  etag       " << out.etag << "\n"
                  << "  crc64      " << out.crc64 << "\n"
                  << "  bytes sent " << out.bytes_sent << "\n";
        status = 0;
    } catch (const tos::Error &e) {
        std::cerr << "upload failed: " << e.what() << "\n";
        if (e.is_server_error()) {
            std::cerr << "  HTTP " << e.http_status() << ", Code " << e.code() << ", RequestId " << e.request_id()
                      << "\n";
        }
    }
    if (!made.empty()) {
        unlink(made.c_str());
        rmdir(made.substr(0, made.rfind('/')).c_str());
    }
    return status;
}
