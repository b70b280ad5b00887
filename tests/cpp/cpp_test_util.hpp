// What the C++ wrapper's tests share: CHECK, the server's environment, CRC-64/XZ, temporary
// files, and reading an object back through the local server's admin API.
#ifndef TOS_CPP_TEST_UTIL_HPP
#define TOS_CPP_TEST_UTIL_HPP

#include "tosupload.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tostest {

inline int failures = 0;

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::cerr << "FAIL " << __FILE__ << ":" << __LINE__ << ": " #cond ": " << what << "\n"; \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

constexpr std::uint64_t MiB = 1024 * 1024;

// Runs a test program's checks: an exception that escapes them is one more failure. Returns the
// program's exit code, having said how many checks failed.
template <typename Checks> int run_checks(const char *program, Checks checks) {
    try {
        checks();
    } catch (const std::exception &e) {
        std::cerr << "FAIL: unexpected exception: " << e.what() << "\n";
        failures++;
    }
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << program << ": all checks passed\n";
    return 0;
}

inline std::string env(const char *name) {
    const char *v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        std::cerr << name << " is not set: run this under scripts/with_server.py\n";
        std::exit(2);
    }
    return v;
}

// CRC-64/XZ (ECMA-182, reflected), the function TOS uses.
inline std::uint64_t crc64(const std::vector<char> &data) {
    static std::uint64_t table[256];
    static bool ready = false;
    if (!ready) {
        for (std::uint64_t i = 0; i < 256; i++) {
            std::uint64_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
            }
            table[i] = c;
        }
        ready = true;
    }
    std::uint64_t crc = ~0ULL;
    for (char ch : data) {
        crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

struct TempFile {
    std::string dir, path;
    std::uint64_t crc = 0;
    explicit TempFile(std::uint64_t size) {
        char d[] = "/tmp/tos-cpp-test-XXXXXX";
        if (mkdtemp(d) == nullptr) {
            std::perror("mkdtemp");
            std::exit(1);
        }
        dir = d;
        path = dir + "/data.bin";
        std::vector<char> data(size);
        std::uint32_t x = 2463534242u;
        for (auto &c : data) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = static_cast<char>(x);
        }
        std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
        crc = crc64(data);
    }
    ~TempFile() {
        std::string cmd = "rm -rf '" + dir + "'";
        if (std::system(cmd.c_str()) != 0) {
            std::cerr << "could not remove " << dir << "\n";
        }
    }
};

inline std::vector<char> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string query_escape(const std::string &s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

struct HttpReply {
    int status = 0;
    std::vector<char> body;
    std::string error; // non-empty when the exchange itself failed
};

// A request to the local server's admin API ($TOS_ADMIN_URL + what, e.g. "/log"): a minimal
// HTTP/1.1 exchange over a POSIX socket. TOS_ADMIN_URL is like
// http://127.0.0.1:PORT/__admin. The body is framed by Content-Length (what the server
// sends) or chunked encoding. `body` goes as JSON (a fault rule).
inline HttpReply admin_request(const std::string &method, const std::string &what, const std::string &body = {}) {
    HttpReply r;
    const std::string url = env("TOS_ADMIN_URL");
    const std::string scheme = "http://";
    const std::size_t colon = url.find(':', scheme.size());
    const std::size_t slash = url.find('/', scheme.size());
    if (url.compare(0, scheme.size(), scheme) != 0 || colon == std::string::npos || slash == std::string::npos ||
        colon > slash) {
        r.error = "cannot parse TOS_ADMIN_URL " + url;
        return r;
    }
    const std::string host = url.substr(scheme.size(), colon - scheme.size());
    const std::string port = url.substr(colon + 1, slash - colon - 1);
    const std::string target = url.substr(slash) + what;

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *ai = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &ai) != 0 || ai == nullptr) {
        r.error = "cannot resolve " + host + ":" + port;
        return r;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        r.error = std::string("connect: ") + std::strerror(errno);
        freeaddrinfo(ai);
        if (fd >= 0) {
            close(fd);
        }
        return r;
    }
    freeaddrinfo(ai);
    const std::string request =
        method + " " + target + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n" +
        (body.empty() ? std::string()
                      : "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") +
        "\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = write(fd, request.data() + sent, request.size() - sent);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            r.error = std::string("write: ") + std::strerror(errno);
            close(fd);
            return r;
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string raw;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            r.error = std::string("read: ") + std::strerror(errno);
            close(fd);
            return r;
        }
        if (n == 0) {
            break;
        }
        raw.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);

    const std::size_t head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || std::sscanf(raw.c_str(), "HTTP/1.%*d %d", &r.status) != 1) {
        r.error = "malformed response";
        return r;
    }
    std::string head = raw.substr(0, head_end + 2);
    for (auto &c : head) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string rest = raw.substr(head_end + 4);
    if (head.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos) {
        std::size_t pos = 0;
        for (;;) {
            const std::size_t eol = rest.find("\r\n", pos);
            if (eol == std::string::npos) {
                r.error = "truncated chunked body";
                return r;
            }
            const std::size_t n = std::strtoul(rest.c_str() + pos, nullptr, 16);
            if (n == 0) {
                break;
            }
            if (eol + 2 + n > rest.size()) {
                r.error = "truncated chunk";
                return r;
            }
            r.body.insert(r.body.end(), rest.begin() + static_cast<std::ptrdiff_t>(eol + 2),
                          rest.begin() + static_cast<std::ptrdiff_t>(eol + 2 + n));
            pos = eol + 2 + n + 2;
        }
    } else {
        const std::size_t cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
            const std::size_t want = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
            if (rest.size() != want) {
                r.error = "body has " + std::to_string(rest.size()) + " bytes, Content-Length " + std::to_string(want);
                return r;
            }
        }
        r.body.assign(rest.begin(), rest.end());
    }
    return r;
}

// The stored bytes of bucket/key (GET $TOS_ADMIN_URL/object?bucket=B&key=K).
inline HttpReply admin_get_object(const std::string &bucket, const std::string &key) {
    return admin_request("GET", "/object?bucket=" + query_escape(bucket) + "&key=" + query_escape(key));
}

// Reads bucket/key back from the server and compares it with `want` byte for byte.
inline void check_object_bytes(const std::string &bucket, const std::string &key, const std::vector<char> &want) {
    const HttpReply got = admin_get_object(bucket, key);
    CHECK(got.error.empty() && got.status == 200,
          "GET /__admin/object " << key << ": HTTP " << got.status << " " << got.error << " "
                                 << std::string(got.body.begin(), got.body.end()).substr(0, 200));
    if (got.error.empty() && got.status == 200) {
        std::size_t i = 0;
        while (i < got.body.size() && i < want.size() && got.body[i] == want[i]) {
            i++;
        }
        CHECK(got.body == want, key << ": " << got.body.size() << " bytes read back, expected " << want.size()
                                    << "; first difference at offset " << i);
    }
}

inline void check_object_bytes(const std::string &bucket, const std::string &key, const std::string &path) {
    check_object_bytes(bucket, key, read_file(path));
}

inline tos::Client make_client() {
    tos::ClientOptions o;
    o.endpoint = env("TOS_ENDPOINT");
    o.region = env("TOS_REGION");
    o.access_key = env("TOS_ACCESS_KEY");
    o.secret_key = env("TOS_SECRET_KEY");
    o.max_retry_count = 2;
    return tos::Client(o);
}

} // namespace tostest

#endif // TOS_CPP_TEST_UTIL_HPP
