/*
 * tosupload.hpp: a header-only C++17 wrapper of the libtosupload C API (tosupload.h).
 *
 *   tos::Client client;                                  // endpoint and keys from TOS_*
 *   tos::UploadFileInput in("bucket", "key", "data.bin");
 *   in.with_part_size(5 << 20).with_task_num(4)
 *     .with_progress([](const tos::Progress &p) { ... });
 *   try {
 *       tos::UploadFileOutput out = client.upload_file(in);
 *   } catch (const tos::Error &e) {
 *       if (e.paused()) ...;  e.result(), e.http_status(), e.code(), e.request_id(), ...
 *   }
 *
 * Ownership: Client is move-only and owns its tos_client. CancelHook and RateLimiter are
 * shared handles (copies refer to the same object), because the objects they stand for are
 * meant to be shared by several uploads and threads.
 *
 * Callbacks are std::function. They run on the thread that called upload_file, one at a
 * time, never after it returns. An exception thrown by a callback never crosses into C: the
 * trampoline catches it, pauses the upload (through a cancel hook private to the call, so
 * other uploads sharing a user CancelHook are not affected), ignores later callbacks, and
 * upload_file rethrows it once the library has returned.
 *
 * Reentrancy: inside a callback, a call that sends requests or makes a client (upload_file,
 * upload_dir, upload_stream, download_file, download_dir, list_multipart_uploads,
 * abort_multipart_upload, the Client constructor) is refused by the library and throws tos::Error with result()
 * TOS_ERR_REENTRANT_CALL (reentrant_call() true) inside the callback, before anything is
 * sent. Caught there, the outer upload goes on; left to escape, it is the callback's
 * exception like any other: the outer upload is paused and the outer call rethrows it.
 * CancelHook::pause()/abort(), RateLimiter::set_rate() and destroying a Client may be used
 * in callbacks.
 *
 * Failures are thrown as tos::Error (a std::runtime_error) carrying every field of tos_error.
 *
 * Folders: client.upload_dir(tos::UploadDirInput("bucket", "local/dir", "prefix/")) with the
 * same callbacks, rate limiters and cancel hooks; it returns (rather than throws) when some
 * files failed, listing them, so check UploadDirOutput::ok().
 * client.download_dir(tos::DownloadDirInput("bucket", "local/dir", "prefix/")) is the way
 * back (the same argument order), and returns a tos::DownloadDirOutput in the same way.
 *
 * Streams: client.upload_stream(tos::UploadStreamInput("bucket", "key", tos::read_from(std::cin)))
 * returns a tos::UploadStreamOutput.
 * Downloads: client.download_file(tos::DownloadFileInput("bucket", "key", "local/file"))
 * fetches the object in ranged GETs, resumably (checkpoint on by default, as for uploads), and
 * returns a tos::DownloadFileOutput; its callbacks, rate limiters and cancel hooks work as
 * upload_file's.
 * Stale uploads: client.list_multipart_uploads(tos::ListMultipartUploadsInput("bucket", "prefix/"))
 * and client.abort_multipart_upload(tos::AbortMultipartUploadInput(bucket, key, upload_id)).
 *
 * Versions: tos::version_num() is the loaded library's TOS_VERSION_NUM (10000 for 1.0.0);
 * compare it with the header's TOS_VERSION_NUM before relying on what a newer minor added.
 */
#ifndef TOSUPLOAD_HPP
#define TOSUPLOAD_HPP

#include "tosupload.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tos {

class Client;
namespace detail {
class CallHook;
} // namespace detail

/** The name of a result code, e.g. "TOS_ERR_INVALID_KEY". */
inline std::string result_name(tos_result result) {
    return tos_result_name(static_cast<std::uint32_t>(result));
}

/** The version of the loaded library, e.g. "1.0.0". */
inline std::string version() { return tos_version(); }

/** The version of the loaded library as MAJOR*10000 + MINOR*100 + PATCH, as TOS_VERSION_NUM
 * is for the header this program was compiled with. */
inline std::uint32_t version_num() { return tos_version_num(); }

/** Every failure of the library, with all the details of tos_error. */
class Error : public std::runtime_error {
public:
    Error(tos_result result, const std::string &message)
        : std::runtime_error(result_name(result) + ": " + message), result_(result), message_(message) {}

    /** Copies a tos_error (borrowed: not freed). NULL gives an error with just the code. */
    static Error from(tos_result result, const tos_error *error) {
        if (error == nullptr) {
            return Error(result, result_name(result));
        }
        Error e(tos_error_result(error), tos_error_message(error), tos_error_is_server_error(error),
                tos_error_http_status(error), tos_error_code(error), tos_error_server_message(error),
                tos_error_request_id(error), tos_error_ec(error), tos_error_host_id(error),
                tos_error_cause(error));
        return e;
    }

    tos_result result() const noexcept { return result_; }
    /** The description for people (what() adds the code and server details). */
    const std::string &message() const noexcept { return message_; }
    bool is_server_error() const noexcept { return is_server_error_; }
    std::uint16_t http_status() const noexcept { return http_status_; }
    const std::string &code() const noexcept { return code_; }
    const std::string &server_message() const noexcept { return server_message_; }
    const std::string &request_id() const noexcept { return request_id_; }
    const std::string &ec() const noexcept { return ec_; }
    const std::string &host_id() const noexcept { return host_id_; }
    const std::string &cause() const noexcept { return cause_; }
    /** Paused by a cancel hook: the same call with checkpointing on resumes. */
    bool paused() const noexcept { return result_ == TOS_PAUSED; }
    bool aborted() const noexcept { return result_ == TOS_ABORTED; }
    /** Made from inside a callback of the library, which refused it (see "Reentrancy"). */
    bool reentrant_call() const noexcept { return result_ == TOS_ERR_REENTRANT_CALL; }
    /** download_file (and a download_dir failure): the object was replaced on the server
     * meanwhile; nothing was kept, the next call downloads the new object from the start. */
    bool object_changed() const noexcept { return result_ == TOS_ERR_OBJECT_CHANGED; }
    /** download_file (and a download_dir failure): a local file could not be written, synced
     * or renamed (message() names it); the checkpoint stays, so the same call resumes once
     * the cause is fixed. */
    bool local_write() const noexcept { return result_ == TOS_ERR_LOCAL_WRITE; }
    /** Another run of the same transfer (same checkpoint or folder journal) is working on it;
     * this call sent nothing and touched nothing (since 1.2.0). */
    bool checkpoint_in_use() const noexcept { return result_ == TOS_ERR_CHECKPOINT_IN_USE; }

private:
    static std::string describe(tos_result result, const std::string &message, bool server, std::uint16_t status,
                                const std::string &code, const std::string &request_id) {
        std::string s = result_name(result) + ": " + message;
        if (server) {
            s += " (HTTP " + std::to_string(status) + ", Code " + code;
            if (!request_id.empty()) {
                s += ", RequestId " + request_id;
            }
            s += ")";
        }
        return s;
    }

    Error(tos_result result, std::string message, bool server, std::uint16_t status, std::string code,
          std::string server_message, std::string request_id, std::string ec, std::string host_id,
          std::string cause)
        : std::runtime_error(describe(result, message, server, status, code, request_id)), result_(result),
          message_(std::move(message)), is_server_error_(server), http_status_(status), code_(std::move(code)),
          server_message_(std::move(server_message)), request_id_(std::move(request_id)), ec_(std::move(ec)),
          host_id_(std::move(host_id)), cause_(std::move(cause)) {}

    tos_result result_;
    std::string message_;
    bool is_server_error_ = false;
    std::uint16_t http_status_ = 0;
    std::string code_, server_message_, request_id_, ec_, host_id_, cause_;
};

namespace detail {

/** Takes ownership of a tos_error, throws it as tos::Error. */
[[noreturn]] inline void throw_error(tos_result result, tos_error *error) {
    std::unique_ptr<tos_error, void (*)(tos_error *)> owned(error, tos_error_free);
    throw Error::from(result, owned.get());
}

/** NULL for "" (the C API's "not set"). */
inline const char *opt(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

struct HookDeleter {
    void operator()(const tos_cancel_hook *h) const noexcept { tos_cancel_hook_free(h); }
};
using HookPtr = std::unique_ptr<const tos_cancel_hook, HookDeleter>;

inline HookPtr new_hook() {
    HookPtr hook(tos_cancel_hook_new());
    if (!hook) {
        throw Error(TOS_ERR_INTERNAL, "tos_cancel_hook_new failed");
    }
    return hook;
}

} // namespace detail

/** Where a Client's credentials come from (tos_client_options.credentials). */
enum class Credentials : std::uint32_t {
    /// access_key/secret_key/security_token when access_key is set, else the environment
    /// (TOS_ACCESS_KEY..., or AWS_ACCESS_KEY_ID... with TOS_PROTOCOL_S3), else anonymous.
    Auto = TOS_CREDENTIALS_AUTO,
    /// Only the fields; an empty access_key is TOS_ERR_MISSING_CREDENTIALS.
    Static = TOS_CREDENTIALS_STATIC,
    /// Only the environment; the fields must be empty (TOS_ERR_INVALID_ARGUMENT).
    Environment = TOS_CREDENTIALS_ENVIRONMENT,
    /// Unsigned requests (public-read buckets); the fields must be empty.
    Anonymous = TOS_CREDENTIALS_ANONYMOUS,
    /// From ClientOptions::credentials_provider (chosen by itself when it is set and
    /// `credentials` is left Auto); the fields must be empty.
    Callback = TOS_CREDENTIALS_CALLBACK,
};

/** What a CredentialsProvider returns (tos_provided_credentials). */
struct ProvidedCredentials {
    std::string access_key;
    std::string secret_key;
    std::string security_token; ///< empty for none
    /// When they stop working; the epoch (the default) = never.
    std::chrono::system_clock::time_point expires{};
};

/**
 * Supplies credentials that expire (STS tokens): called before the first request, again
 * before the ones it returned expire (5 minutes ahead, or a tenth of their lifetime when
 * shorter) and after the server refuses them as expired (tos_credentials_cb). Calls come one
 * at a time, from a thread of the library, and may block (a request waits at most 60 s);
 * uploads may not be started from inside. A throw, or no access or secret key, fails the
 * requests that needed them with TOS_ERR_MISSING_CREDENTIALS. It must return before its
 * Client is destroyed.
 */
using CredentialsProvider = std::function<ProvidedCredentials()>;

/** Options of Client: an empty string or 0 means the default (endpoint and region from TOS_*
 * variables, or AWS_* ones with TOS_PROTOCOL_S3; credentials as `credentials` says). */
struct ClientOptions {
    tos_protocol protocol = TOS_PROTOCOL_TOS;
    std::string endpoint;
    std::string region;
    Credentials credentials = Credentials::Auto;
    std::string access_key; ///< with Credentials::Auto or Credentials::Static
    std::string secret_key;
    std::string security_token;
    tos_addressing addressing = TOS_ADDRESSING_AUTO;
    std::int32_t max_retry_count = 0; ///< 0 = default (3), negative = none
    std::chrono::milliseconds connect_timeout{0};
    /// Longest time no byte moves either way during a request; 0 = default (30 s)
    std::chrono::milliseconds idle_timeout{0};
    /// Longest one request may take, retries included (+1 s per MiB of body); 0 = default (120 s)
    std::chrono::milliseconds request_budget{0};
    bool disable_crc = false;
    bool insecure_skip_tls_verify = false;
    /// Since 1.1. http://[user:password@]host:port; empty = HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
    std::string proxy;
    /// Since 1.1. Hosts, IPs, CIDRs that bypass the proxy ("*" = all); empty = NO_PROXY
    std::string no_proxy;
    /// Since 1.1. PEM CAs trusted instead of the system's; empty = SSL_CERT_FILE, else the system's
    std::string ca_file;
    /// Since 1.1. PEM client certificate and its key, for mutual TLS: both or neither
    std::string client_cert_file;
    std::string client_key_file;
    /// How S3 uploads prove their bytes (ignored by TOS); see tos_s3_checksum
    tos_s3_checksum s3_checksum = TOS_S3_CHECKSUM_AUTO;
    /// When set, the credentials come from it (Credentials::Callback).
    CredentialsProvider credentials_provider;
    /// Requests a second, all calls together (bursts of a tenth of a second, at least 10); 0 = no cap
    std::uint32_t max_requests_per_second = 0;
};

namespace detail {

/** A Client's provider and the strings it lent the library at its last call (the library
 * copies them when the call returns; calls never overlap). */
struct CredentialsState {
    CredentialsProvider provider;
    ProvidedCredentials last;

    static tos_result call(tos_provided_credentials *out, void *user_data) noexcept {
        auto *self = static_cast<CredentialsState *>(user_data);
        try {
            self->last = self->provider();
        } catch (...) {
            return TOS_ERR_MISSING_CREDENTIALS;
        }
        out->access_key = self->last.access_key.c_str();
        out->secret_key = self->last.secret_key.c_str();
        out->security_token = self->last.security_token.c_str();
        auto since_epoch = self->last.expires.time_since_epoch();
        out->expires_at_unix_ms =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
        return TOS_OK;
    }
};

} // namespace detail

/**
 * Pauses or aborts the uploads it is given to, from any thread or from inside a callback.
 * Copies share one hook. As in the C API it stops every upload using it, now and later.
 */
class CancelHook {
public:
    CancelHook() : state_(std::make_shared<State>()) {}

    /** Pauses (tos_pause): the calls throw Error::paused(); the same call with checkpointing
     * on resumes (a stream, which cannot, is aborted instead). */
    void pause() const { pull(State::paused); }
    /** Aborts (tos_abort): the calls throw Error::aborted() after removing what they made on
     * the server and the checkpoint. An abort may follow a pause; nothing follows an abort. */
    void abort() const { pull(State::aborted); }
    /** The 0.x spelling: is_abort false pauses, true aborts. */
    [[deprecated("use pause() or abort()")]] void cancel(bool is_abort) const {
        pull(is_abort ? State::aborted : State::paused);
    }

private:
    // The C hook of each running upload is private to the call (so a failing callback can
    // pause its own upload only); this state forwards cancel() to all of them.
    struct State {
        enum Pulled { none, paused, aborted };
        std::mutex mu;
        Pulled pulled = none;
        std::vector<const tos_cancel_hook *> active;
    };

    friend class detail::CallHook;

    static void forward(const tos_cancel_hook *h, State::Pulled how) noexcept {
        if (how == State::aborted) {
            tos_abort(h);
        } else {
            tos_pause(h);
        }
    }

    void pull(State::Pulled how) const {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (state_->pulled == State::aborted || state_->pulled == how) {
            return;
        }
        state_->pulled = how;
        for (const tos_cancel_hook *h : state_->active) {
            forward(h, how);
        }
    }

    /** Forwards this hook's pause or abort, past and future, to one upload's C hook. */
    void attach(const tos_cancel_hook *h) const {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->active.push_back(h);
        if (state_->pulled != State::none) {
            forward(h, state_->pulled);
        }
    }
    void detach(const tos_cancel_hook *h) const noexcept {
        std::lock_guard<std::mutex> lock(state_->mu);
        auto &v = state_->active;
        v.erase(std::remove(v.begin(), v.end(), h), v.end());
    }

    std::shared_ptr<State> state_;
};

/**
 * The library's token bucket (bytes per second), shared by every upload it is given to.
 * Copies share one bucket; the C object is freed with the last copy (running uploads keep
 * their own reference).
 */
class RateLimiter {
public:
    /**
     * rate 0 = unlimited, else at least 1024 bytes/s; capacity 0 = a tenth of a second of the
     * rate (at least 10 KiB), else at least 10240 bytes. A value out of range throws
     * tos::Error (TOS_ERR_INVALID_ARGUMENT).
     */
    explicit RateLimiter(std::uint64_t rate_bytes_per_sec, std::uint64_t capacity_bytes = 0)
        : p_(make(rate_bytes_per_sec, capacity_bytes), tos_rate_limiter_free) {}
    /** Same ranges as the constructor; out of range throws (TOS_ERR_INVALID_ARGUMENT) and the
     * limit is left unchanged. May be called from inside a callback. */
    void set_rate(std::uint64_t rate_bytes_per_sec, std::uint64_t capacity_bytes = 0) const {
        tos_result rc = tos_rate_limiter_set_rate(p_.get(), rate_bytes_per_sec, capacity_bytes);
        if (rc != TOS_OK) {
            throw Error(rc, "tos_rate_limiter_set_rate(" + std::to_string(rate_bytes_per_sec) + ", " +
                                std::to_string(capacity_bytes) + ") refused");
        }
    }
    const tos_rate_limiter *get() const noexcept { return p_.get(); }

private:
    static const tos_rate_limiter *make(std::uint64_t rate_bytes_per_sec, std::uint64_t capacity_bytes) {
        const tos_rate_limiter *limiter = nullptr;
        tos_error *error = nullptr;
        tos_result rc = tos_rate_limiter_new(rate_bytes_per_sec, capacity_bytes, &limiter, &error);
        if (rc != TOS_OK) {
            detail::throw_error(rc, error);
        }
        return limiter;
    }

    std::shared_ptr<const tos_rate_limiter> p_;
};

/** Progress of an upload (tos_upload_progress). */
struct Progress {
    tos_upload_progress_kind kind;
    std::uint64_t consumed_bytes;
    std::uint64_t total_bytes;
    std::uint64_t rw_once_bytes;
};

/** One part (tos_part_info), copied. */
struct PartInfo {
    std::uint32_t number = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
    std::string etag;                   ///< "" unless the part succeeded
    std::optional<std::uint64_t> crc64; ///< set when the part succeeded
};

/** An upload event (tos_upload_event), copied: safe to keep. */
struct UploadEvent {
    tos_upload_event_kind kind;
    std::string bucket;
    std::string key;
    std::optional<std::string> upload_id;
    std::optional<std::string> checkpoint_file;
    std::optional<PartInfo> part;
    std::optional<Error> error; ///< failure, retry and discard events
};

/** Your own rate limiter: return true to send `want` bytes now, or false after setting `wait`. */
using RateLimitFn = std::function<bool(std::uint64_t want, std::chrono::milliseconds &wait)>;

/**
 * The attributes of the objects an upload makes (tos_object_attributes), shared by
 * UploadFileInput and UploadDirInput. Empty or zero = not set.
 */
struct ObjectAttributes {
    std::string content_type; ///< "" = guessed from the key (of each file, in a folder upload)
    std::string cache_control;
    std::string content_disposition;
    std::string content_encoding;
    std::string content_language;
    std::int64_t expires = 0; ///< seconds since the epoch; 0 = not set
    std::string acl;
    std::string storage_class;
    std::vector<std::pair<std::string, std::string>> meta;
    std::string tagging;
    bool forbid_overwrite = false;
    std::string ssec_algorithm;
    std::string ssec_key;
    std::string ssec_key_md5;
    std::string server_side_encryption;
    std::string server_side_encryption_key_id;
    std::string website_redirect_location;
    std::uint64_t traffic_limit = 0; ///< bits per second; 0 = none
};

namespace detail {

/** Points `out` at the strings of `in` (which must outlive it); `meta` holds the meta array. */
inline void fill_attributes(const ObjectAttributes &in, tos_object_attributes &out,
                            std::vector<tos_meta_entry> &meta) {
    out.content_type = opt(in.content_type);
    out.cache_control = opt(in.cache_control);
    out.content_disposition = opt(in.content_disposition);
    out.content_encoding = opt(in.content_encoding);
    out.content_language = opt(in.content_language);
    out.expires = in.expires;
    out.acl = opt(in.acl);
    out.storage_class = opt(in.storage_class);
    meta.clear();
    meta.reserve(in.meta.size());
    for (const auto &kv : in.meta) {
        meta.push_back(tos_meta_entry{kv.first.c_str(), kv.second.c_str()});
    }
    out.meta = meta.empty() ? nullptr : meta.data();
    out.meta_count = meta.size();
    out.tagging = opt(in.tagging);
    out.forbid_overwrite = in.forbid_overwrite;
    out.ssec_algorithm = opt(in.ssec_algorithm);
    out.ssec_key = opt(in.ssec_key);
    out.ssec_key_md5 = opt(in.ssec_key_md5);
    out.server_side_encryption = opt(in.server_side_encryption);
    out.server_side_encryption_key_id = opt(in.server_side_encryption_key_id);
    out.website_redirect_location = opt(in.website_redirect_location);
    out.traffic_limit = in.traffic_limit;
}

/**
 * The C cancel hook private to one call, attached to the user's CancelHook (if any) for the
 * life of this object, so the user's pause/abort reaches the call.
 */
class CallHook {
public:
    explicit CallHook(const std::optional<CancelHook> &user) : hook_(new_hook()), user_(user) {
        if (user_) {
            user_->attach(hook_.get());
        }
    }
    ~CallHook() {
        if (user_) {
            user_->detach(hook_.get());
        }
    }
    CallHook(const CallHook &) = delete;
    CallHook &operator=(const CallHook &) = delete;
    const tos_cancel_hook *get() const noexcept { return hook_.get(); }

private:
    HookPtr hook_;
    const std::optional<CancelHook> &user_;
};

} // namespace detail

/**
 * The input of Client::upload_file. bucket, key and file_path are required; every other
 * field starts at its default: empty or zero, except enable_checkpoint, which starts true
 * (it is the inverse of the C struct's disable_checkpoint).
 */
struct UploadFileInput : ObjectAttributes {
    UploadFileInput() = default;
    UploadFileInput(std::string bucket_, std::string key_, std::string file_path_)
        : bucket(std::move(bucket_)), key(std::move(key_)), file_path(std::move(file_path_)) {}

    std::string bucket;
    std::string key;
    std::string file_path;
    std::uint64_t part_size = 0; ///< 5 MiB ..= 5 GiB; 0 = 20 MiB
    std::uint32_t task_num = 0;  ///< at most 1000; 0 = automatic (starts at 4, searches for the fastest)
    bool enable_checkpoint = true;
    std::string checkpoint_file; ///< file or directory; "" = beside the file
    /// A file smaller than this goes up in one PutObject; 0 = the part size; at most 5 GiB.
    std::uint64_t multipart_threshold = 0;
    bool force_multipart = false; ///< always multipart, whatever the size
    // The object's attributes (content_type, meta, ...): the fields of ObjectAttributes.

    std::function<void(const Progress &)> on_progress;
    std::function<void(const UploadEvent &)> on_event;
    RateLimitFn rate_limit;                  ///< takes precedence over rate_limiter
    std::optional<RateLimiter> rate_limiter; ///< shared token bucket
    std::optional<CancelHook> cancel_hook;

    // Builder-style setters, chainable.
    UploadFileInput &with_part_size(std::uint64_t v) { part_size = v; return *this; }
    UploadFileInput &with_task_num(std::uint32_t v) { task_num = v; return *this; }
    UploadFileInput &with_multipart_threshold(std::uint64_t v) {
        multipart_threshold = v;
        return *this;
    }
    UploadFileInput &with_force_multipart(bool v = true) { force_multipart = v; return *this; }
    UploadFileInput &with_checkpoint(bool on, std::string file = {}) {
        enable_checkpoint = on;
        checkpoint_file = std::move(file);
        return *this;
    }
    UploadFileInput &with_content_type(std::string v) { content_type = std::move(v); return *this; }
    UploadFileInput &with_meta(std::string k, std::string v) {
        meta.emplace_back(std::move(k), std::move(v));
        return *this;
    }
    UploadFileInput &with_progress(std::function<void(const Progress &)> f) {
        on_progress = std::move(f);
        return *this;
    }
    UploadFileInput &with_events(std::function<void(const UploadEvent &)> f) {
        on_event = std::move(f);
        return *this;
    }
    UploadFileInput &with_rate_limit(RateLimitFn f) { rate_limit = std::move(f); return *this; }
    UploadFileInput &with_rate_limiter(RateLimiter r) { rate_limiter = std::move(r); return *this; }
    UploadFileInput &with_cancel_hook(CancelHook h) { cancel_hook = std::move(h); return *this; }
};

/** The result of a completed upload_file. */
struct UploadFileOutput {
    std::string bucket;
    std::string key;
    std::string upload_id;
    std::string etag; ///< quoted, as the server sent it
    std::string location;
    std::string version_id;
    std::string request_id;
    std::uint64_t crc64 = 0; ///< CRC-64/XZ (ECMA-182) of the object
    std::uint64_t part_size = 0;
    std::uint64_t bytes_sent = 0; ///< by this call (parts resumed from a checkpoint not counted)
};

/**
 * Reads the next bytes of a stream into `buf`, at most `capacity`; returns how many, and 0
 * only at the end. It may block. An exception fails the upload (nothing is left on the
 * server) and is rethrown by Client::upload_stream.
 */
using ReadFn = std::function<std::size_t(std::uint8_t *buf, std::size_t capacity)>;

/** A ReadFn over a std::istream (std::cin, an std::ifstream): reads it to its end; a stream
 * that goes bad fails the upload. The stream must outlive the upload. */
inline ReadFn read_from(std::istream &is) {
    return [&is](std::uint8_t *buf, std::size_t capacity) -> std::size_t {
        is.read(reinterpret_cast<char *>(buf), static_cast<std::streamsize>(capacity));
        if (is.bad()) {
            throw std::runtime_error("reading the input stream failed");
        }
        return static_cast<std::size_t>(is.gcount());
    };
}

/**
 * The input of Client::upload_stream (tos_upload_stream): bytes of unknown size, such as a
 * pipe. bucket, key and read are required. Not resumable: a pause aborts it too.
 */
struct UploadStreamInput : ObjectAttributes {
    UploadStreamInput() = default;
    UploadStreamInput(std::string bucket_, std::string key_, ReadFn read_)
        : bucket(std::move(bucket_)), key(std::move(key_)), read(std::move(read_)) {}

    std::string bucket;
    std::string key;
    ReadFn read;
    /// 5 MiB ..= 5 GiB; 0 = 20 MiB. Never raised (the size is unknown): at most 10,000 parts.
    std::uint64_t part_size = 0;
    std::uint32_t task_num = 0; ///< parts in flight, each held in memory; 0 = 4; at most 1000

    std::function<void(const Progress &)> on_progress; ///< total_bytes grows as the stream is read
    std::function<void(const UploadEvent &)> on_event;
    RateLimitFn rate_limit;                  ///< takes precedence over rate_limiter
    std::optional<RateLimiter> rate_limiter; ///< shared token bucket
    std::optional<CancelHook> cancel_hook;
};

/** The result of a completed upload_stream (tos_upload_stream_output). */
struct UploadStreamOutput {
    std::string bucket;
    std::string key;
    std::string upload_id; ///< "" when the stream went up in one PutObject
    std::string etag;      ///< quoted, as the server sent it
    std::string location;
    std::string version_id;
    std::string request_id;
    std::uint64_t crc64 = 0;      ///< CRC-64/XZ (ECMA-182) of the object
    std::uint64_t part_size = 0;  ///< 0 when the stream went up in one PutObject
    std::uint64_t bytes_sent = 0; ///< the stream's size
};

/** Aggregate progress of a folder upload (tos_upload_dir_progress). */
struct DirProgress {
    std::uint64_t bytes_done;    ///< of the files done (sent now, or found up by an earlier run)
    std::uint64_t bytes_total;   ///< of every file found so far
    std::uint64_t files_done;
    std::uint64_t files_total;   ///< found so far
    std::uint64_t files_skipped; ///< of files_done, found uploaded by an earlier run
    std::uint64_t files_failed;
    bool walk_complete; ///< the whole tree has been walked
};

/** One file's step in a folder upload (tos_upload_dir_event), copied: safe to keep. */
struct DirEvent {
    tos_upload_dir_event_kind kind;
    std::string path; ///< the local path
    std::string key;  ///< the object key
    std::uint64_t size = 0;
    std::string etag;                   ///< on success or "already uploaded"
    std::optional<std::uint64_t> crc64; ///< set with etag
    std::string reason;                 ///< why a file was skipped
    std::optional<Error> error;         ///< why a file failed
};

/**
 * The input of Client::upload_dir. bucket and dir are required; every other field starts
 * at its default (empty or zero). Objects are named prefix + the path relative to dir (with /).
 */
struct UploadDirInput : ObjectAttributes {
    UploadDirInput() = default;
    UploadDirInput(std::string bucket_, std::string dir_, std::string prefix_ = {})
        : bucket(std::move(bucket_)), prefix(std::move(prefix_)), dir(std::move(dir_)) {}

    std::string bucket;
    std::string prefix;
    std::string dir;
    bool top_level_only = false;       ///< not descending into subdirectories
    std::vector<std::string> include;  ///< globs; when any, only matching files go up
    std::vector<std::string> exclude;  ///< globs of files left out
    bool follow_symlinks = false;      ///< default: links are skipped
    std::uint32_t file_concurrency = 0; ///< files at once; 0 = automatic
    std::uint32_t task_num = 0;         ///< parts at once per large file, at most 1000; 0 = automatic
    std::uint32_t max_connections = 0;  ///< requests in flight over all files; 0 = automatic (docs/throttling.md)
    std::uint64_t part_size = 0;        ///< multipart threshold and part size; 0 = 20 MiB
    std::string checkpoint_dir;         ///< journal and checkpoints; "" = not resumable
    bool continue_on_error = false;     ///< default: no new file after the first failure
    // The attributes of every object: the fields of ObjectAttributes, as in UploadFileInput.

    std::function<void(const DirProgress &)> on_progress;
    std::function<void(const DirEvent &)> on_event;
    RateLimitFn rate_limit;                  ///< takes precedence over rate_limiter
    std::optional<RateLimiter> rate_limiter; ///< shared token bucket
    std::optional<CancelHook> cancel_hook;
};

/** One file that failed in a folder upload or download. */
struct DirFailure {
    std::string path;
    std::string key;
    Error error;
};

/**
 * The result of a folder upload. With failed files (TOS_ERR_SOME_FILES_FAILED) upload_dir
 * returns rather than throws, so the counts and the failures are not lost: check ok().
 */
struct UploadDirOutput {
    std::uint64_t files_uploaded = 0;
    std::uint64_t bytes_uploaded = 0;
    std::uint64_t files_skipped = 0; ///< found uploaded by an earlier run
    std::uint64_t bytes_skipped = 0;
    std::uint64_t files_left_out = 0; ///< symbolic links not followed, entries not regular files
    std::vector<DirFailure> failures;
    std::optional<Error> error; ///< the first failure, when there are failures
    bool ok() const noexcept { return failures.empty() && !error; }
};

/** The input of Client::list_multipart_uploads (tos_list_multipart_uploads_input). */
struct ListMultipartUploadsInput {
    ListMultipartUploadsInput() = default;
    explicit ListMultipartUploadsInput(std::string bucket_, std::string prefix_ = {})
        : bucket(std::move(bucket_)), prefix(std::move(prefix_)) {}

    std::string bucket;
    std::string prefix;          ///< only keys starting with it; "" = every key
    std::uint64_t limit = 0;     ///< stop after this many; 0 = all (more than 1,000,000 is an error)
    std::uint32_t page_size = 0; ///< uploads per request, 1..=1000; 0 = 1000
    std::optional<CancelHook> cancel_hook;
};

/** The 0.x name of ListMultipartUploadsInput. */
using ListUploadsInput [[deprecated("use ListMultipartUploadsInput")]] = ListMultipartUploadsInput;

/** The input of Client::abort_multipart_upload (tos_abort_multipart_upload_input). */
struct AbortMultipartUploadInput {
    AbortMultipartUploadInput() = default;
    AbortMultipartUploadInput(std::string bucket_, std::string key_, std::string upload_id_)
        : bucket(std::move(bucket_)), key(std::move(key_)), upload_id(std::move(upload_id_)) {}

    std::string bucket;
    std::string key;
    std::string upload_id; ///< as MultipartUpload::upload_id gives it
    std::optional<CancelHook> cancel_hook; ///< pulled, the call throws paused or aborted
};

/** An open multipart upload, as listed. */
struct MultipartUpload {
    std::string key;
    std::string upload_id; ///< what AbortMultipartUploadInput takes
    /// Unset when the server sent no readable time.
    std::optional<std::chrono::system_clock::time_point> initiated;
};

/** Progress of a download (tos_download_progress). */
struct DownloadProgress {
    tos_download_progress_kind kind;
    std::uint64_t consumed_bytes; ///< in the temporary file, ranges kept from an earlier run included
    std::uint64_t total_bytes;    ///< the object's size
    std::uint64_t rw_once_bytes;
};

/** One range of the object (tos_download_part_info), copied. */
struct DownloadPartInfo {
    std::uint32_t number = 0;
    std::uint64_t range_start = 0;
    std::uint64_t range_end = 0;        ///< inclusive, as in the TOS Go SDK's checkpoint
    std::optional<std::uint64_t> crc64; ///< set when the range was written
};

/** A download event (tos_download_event), copied: safe to keep. */
struct DownloadEvent {
    tos_download_event_kind kind;
    std::string bucket;
    std::string key;
    std::optional<std::string> version_id; ///< when a version was asked for
    std::string file_path;                 ///< the destination file
    std::optional<std::string> temp_file;  ///< once a temporary file exists
    std::optional<std::string> checkpoint_file;
    std::optional<DownloadPartInfo> part;
    std::optional<Error> error;  ///< failure, retry and discard events
    std::uint32_t task_num = 0; ///< TOS_DOWNLOAD_EVENT_KIND_TASK_NUM_CHANGED: ranges now fetched at once
};

/**
 * The input of Client::download_file (tos_download_file_input). bucket, key and file_path are
 * required; every other field starts at its default: empty or zero, except
 * enable_checkpoint, which starts true (the inverse of the C struct's disable_checkpoint).
 */
struct DownloadFileInput {
    DownloadFileInput() = default;
    DownloadFileInput(std::string bucket_, std::string key_, std::string file_path_)
        : bucket(std::move(bucket_)), key(std::move(key_)), file_path(std::move(file_path_)) {}

    std::string bucket;
    std::string key;
    std::string version_id; ///< "" = the latest
    /// The destination file, or a directory (existing, or ending in '/') for the key's last
    /// segment. It appears only once the whole object is written and verified.
    std::string file_path;
    std::uint64_t part_size = 0; ///< bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB
    std::uint32_t task_num = 0;  ///< ranges fetched at once, at most 1000; 0 = automatic (starts at 4, searches)
    bool enable_checkpoint = true;
    std::string checkpoint_file; ///< file or directory; "" = beside the destination
    /// "" = the ETag the object has when the download starts, so the file never mixes versions.
    std::string if_match;
    std::string if_none_match;
    std::int64_t if_modified_since = 0;   ///< seconds since the epoch; 0 = not set
    std::int64_t if_unmodified_since = 0; ///< seconds since the epoch; 0 = not set
    std::string ssec_algorithm;
    std::string ssec_key; ///< base64; sent, never logged nor written to the checkpoint
    std::string ssec_key_md5;
    std::uint64_t traffic_limit = 0; ///< bits per second; 0 = none

    std::function<void(const DownloadProgress &)> on_progress;
    std::function<void(const DownloadEvent &)> on_event;
    RateLimitFn rate_limit;                  ///< asked before body bytes are written; takes precedence
    std::optional<RateLimiter> rate_limiter; ///< shared token bucket
    std::optional<CancelHook> cancel_hook;   ///< pause keeps the temporary file and checkpoint

    // Builder-style setters, chainable.
    DownloadFileInput &with_version_id(std::string v) { version_id = std::move(v); return *this; }
    DownloadFileInput &with_part_size(std::uint64_t v) { part_size = v; return *this; }
    DownloadFileInput &with_task_num(std::uint32_t v) { task_num = v; return *this; }
    DownloadFileInput &with_checkpoint(bool on, std::string file = {}) {
        enable_checkpoint = on;
        checkpoint_file = std::move(file);
        return *this;
    }
    DownloadFileInput &with_progress(std::function<void(const DownloadProgress &)> f) {
        on_progress = std::move(f);
        return *this;
    }
    DownloadFileInput &with_events(std::function<void(const DownloadEvent &)> f) {
        on_event = std::move(f);
        return *this;
    }
    DownloadFileInput &with_rate_limit(RateLimitFn f) { rate_limit = std::move(f); return *this; }
    DownloadFileInput &with_rate_limiter(RateLimiter r) { rate_limiter = std::move(r); return *this; }
    DownloadFileInput &with_cancel_hook(CancelHook h) { cancel_hook = std::move(h); return *this; }
};

/** The result of a completed download_file (tos_download_file_output). */
struct DownloadFileOutput {
    std::string bucket;
    std::string key;
    std::string etag;       ///< quoted, as the server sent it
    std::string version_id; ///< "" when the bucket is not versioned
    std::string file_path;  ///< the file written (inside file_path when that named a directory)
    std::uint64_t size = 0;
    /// The object's CRC-64/XZ (ECMA-182), which the file matched; unset when the server gave
    /// none (some S3 stores), and then nothing but the ranges' lengths vouched for the file.
    std::optional<std::uint64_t> crc64;
    std::uint64_t bytes_received = 0; ///< by this call (ranges kept from an earlier run not counted)
};

/** Aggregate progress of a folder download (tos_download_dir_progress). The totals grow while
 * the bucket is listed and are final once listing_complete. */
struct DownloadDirProgress {
    std::uint64_t bytes_done;    ///< of the objects done (written now, or found done by an earlier run)
    std::uint64_t bytes_total;   ///< of every object listed so far
    std::uint64_t files_done;
    std::uint64_t files_total;   ///< listed so far
    std::uint64_t files_skipped; ///< of files_done, not fetched: journal, or skip_existing
    std::uint64_t files_failed;
    bool listing_complete; ///< the whole prefix has been listed
};

/** One object's step in a folder download (tos_download_dir_event), copied: safe to keep. */
struct DownloadDirEvent {
    tos_download_dir_event_kind kind;
    std::string path; ///< the local path: dir joined with the key after the prefix
    std::string key;  ///< the object key
    std::uint64_t size = 0;
    std::string etag;                   ///< quoted, when the listing gave it
    std::optional<std::uint64_t> crc64; ///< when the listing (or a HEAD) gave it
    std::string reason;                 ///< why an object was skipped
    std::optional<Error> error;         ///< why an object failed
    /// TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED: the objects now fetched at once.
    std::uint32_t file_concurrency = 0;
};

/**
 * The input of Client::download_dir (tos_download_dir_input). bucket and dir are required;
 * every other field starts at its default (empty or zero). The constructor takes the folder
 * before the prefix, as UploadDirInput's does, so a tree goes up and comes back with the same
 * arguments. An object's local path is dir joined with its key after the prefix.
 */
struct DownloadDirInput {
    DownloadDirInput() = default;
    DownloadDirInput(std::string bucket_, std::string dir_, std::string prefix_ = {})
        : bucket(std::move(bucket_)), prefix(std::move(prefix_)), dir(std::move(dir_)) {}

    std::string bucket;
    std::string prefix; ///< "" = the whole bucket
    std::string dir;    ///< made if missing
    std::vector<std::string> include; ///< globs on the key after the prefix; when any, only matching objects
    std::vector<std::string> exclude; ///< globs of objects left out
    std::uint32_t file_concurrency = 0; ///< objects at once; 0 = automatic, at most 16
    std::uint32_t task_num = 0;         ///< ranges at once per large object, at most 1000; 0 = automatic
    std::uint64_t part_size = 0;        ///< bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB
    /// Journal and large objects' checkpoints, so a paused or failed run fetches nothing
    /// twice; "" = not resumable. The journal is removed once every object is done.
    std::string checkpoint_dir;
    bool continue_on_error = false; ///< default: no new object after the first failure
    /// Leave alone a local file with the object's size and CRC-64 (read to compare); without
    /// a CRC-64 from the server (some S3 stores) the object is downloaded.
    bool skip_existing = false;

    std::function<void(const DownloadDirProgress &)> on_progress;
    std::function<void(const DownloadDirEvent &)> on_event;
    RateLimitFn rate_limit;                  ///< asked before bytes are written; takes precedence
    std::optional<RateLimiter> rate_limiter; ///< shared token bucket
    std::optional<CancelHook> cancel_hook;   ///< pause keeps the journal and checkpoints, abort removes them
};

/**
 * The result of a folder download. With failed objects (TOS_ERR_SOME_FILES_FAILED)
 * download_dir returns rather than throws, so the counts and the failures are not lost:
 * check ok().
 */
struct DownloadDirOutput {
    std::uint64_t files_downloaded = 0; ///< by this call; folder markers not counted
    std::uint64_t bytes_downloaded = 0; ///< fetched by this call (a resumed object: its missing ranges)
    std::uint64_t files_skipped = 0; ///< not fetched: done by an earlier run (journal), or skip_existing
    std::uint64_t bytes_skipped = 0;
    std::uint64_t dirs_created = 0; ///< directories made for keys ending in '/'
    std::vector<DirFailure> failures;
    std::optional<Error> error; ///< the first failure, when there are failures
    bool ok() const noexcept { return failures.empty() && !error; }
};

namespace detail {

/** The conversions of the C callback arguments into the wrapper's types. */
inline Progress convert(const tos_upload_progress *p) {
    return Progress{static_cast<tos_upload_progress_kind>(p->kind), p->consumed_bytes, p->total_bytes, p->rw_once_bytes};
}

inline UploadEvent convert(const tos_upload_event *e) {
    UploadEvent ev{static_cast<tos_upload_event_kind>(e->kind), e->bucket ? e->bucket : "",
                   e->key ? e->key : "", std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    if (e->upload_id) {
        ev.upload_id = e->upload_id;
    }
    if (e->checkpoint_file) {
        ev.checkpoint_file = e->checkpoint_file;
    }
    if (e->has_part) {
        PartInfo part;
        part.number = e->part.number;
        part.size = e->part.size;
        part.offset = e->part.offset;
        part.etag = e->part.etag ? e->part.etag : "";
        if (e->part.has_crc64) {
            part.crc64 = e->part.crc64;
        }
        ev.part = std::move(part);
    }
    if (e->error) {
        ev.error = Error::from(tos_error_result(e->error), e->error);
    }
    return ev;
}

inline DirProgress convert(const tos_upload_dir_progress *p) {
    return DirProgress{p->bytes_done,    p->bytes_total,  p->files_done,   p->files_total,
                       p->files_skipped, p->files_failed, p->walk_complete};
}

inline DirEvent convert(const tos_upload_dir_event *e) {
    DirEvent ev{static_cast<tos_upload_dir_event_kind>(e->kind), e->path ? e->path : "", e->key ? e->key : "",
                e->size, e->etag ? e->etag : "", std::nullopt, e->reason ? e->reason : "", std::nullopt};
    if (e->has_crc64) {
        ev.crc64 = e->crc64;
    }
    if (e->error) {
        ev.error = Error::from(tos_error_result(e->error), e->error);
    }
    return ev;
}

inline DownloadDirProgress convert(const tos_download_dir_progress *p) {
    return DownloadDirProgress{p->bytes_done,    p->bytes_total,  p->files_done,      p->files_total,
                               p->files_skipped, p->files_failed, p->listing_complete};
}

inline DownloadDirEvent convert(const tos_download_dir_event *e) {
    DownloadDirEvent ev{static_cast<tos_download_dir_event_kind>(e->kind),
                        e->path ? e->path : "",
                        e->key ? e->key : "",
                        e->size,
                        e->etag ? e->etag : "",
                        std::nullopt,
                        e->reason ? e->reason : "",
                        std::nullopt,
                        e->file_concurrency};
    if (e->has_crc64) {
        ev.crc64 = e->crc64;
    }
    if (e->error) {
        ev.error = Error::from(tos_error_result(e->error), e->error);
    }
    return ev;
}

inline DownloadProgress convert(const tos_download_progress *p) {
    return DownloadProgress{static_cast<tos_download_progress_kind>(p->kind), p->consumed_bytes, p->total_bytes,
                            p->rw_once_bytes};
}

inline DownloadEvent convert(const tos_download_event *e) {
    DownloadEvent ev{static_cast<tos_download_event_kind>(e->kind),
                     e->bucket ? e->bucket : "",
                     e->key ? e->key : "",
                     std::nullopt,
                     e->file_path ? e->file_path : "",
                     std::nullopt,
                     std::nullopt,
                     std::nullopt,
                     std::nullopt,
                     0};
    if (e->version_id) {
        ev.version_id = e->version_id;
    }
    if (e->temp_file) {
        ev.temp_file = e->temp_file;
    }
    if (e->checkpoint_file) {
        ev.checkpoint_file = e->checkpoint_file;
    }
    if (e->has_part) {
        DownloadPartInfo part;
        part.number = e->part.number;
        part.range_start = e->part.range_start;
        part.range_end = e->part.range_end;
        if (e->part.has_crc64) {
            part.crc64 = e->part.crc64;
        }
        ev.part = part;
    }
    if (e->error) {
        ev.error = Error::from(tos_error_result(e->error), e->error);
    }
    // The last field of 1.0: read only when the library that made the event wrote it.
    if (TOS_FIELD_PRESENT(e, tos_download_event, task_num)) {
        ev.task_num = e->task_num;
    }
    return ev;
}

/**
 * What the trampolines reach through user_data during one call (In: UploadFileInput,
 * UploadDirInput, UploadStreamInput, DownloadFileInput or DownloadDirInput; CProgress and CEvent: the C types of
 * its callbacks' arguments).
 */
template <class In, class CProgress, class CEvent>
struct CallState {
    const In *in;
    const tos_cancel_hook *hook;
    std::exception_ptr exception;

    template <class F>
    void guard(F &&f) noexcept {
        if (exception) {
            return;
        }
        try {
            f();
        } catch (...) {
            exception = std::current_exception();
            tos_pause(hook);
        }
    }

    static void progress(const CProgress *p, void *user_data) noexcept {
        auto *st = static_cast<CallState *>(user_data);
        st->guard([&] { st->in->on_progress(convert(p)); });
    }

    static void event(const CEvent *e, void *user_data) noexcept {
        auto *st = static_cast<CallState *>(user_data);
        st->guard([&] { st->in->on_event(convert(e)); });
    }

    static int rate(std::uint64_t want, std::uint64_t *wait_ms_out, void *user_data) noexcept {
        auto *st = static_cast<CallState *>(user_data);
        bool ok = true;
        std::chrono::milliseconds wait{1};
        st->guard([&] { ok = st->in->rate_limit(want, wait); });
        if (ok || st->exception) {
            return 1;
        }
        *wait_ms_out = static_cast<std::uint64_t>(std::max<std::chrono::milliseconds::rep>(wait.count(), 1));
        return 0;
    }

    /** Sets the C input's rate limiter, cancel hook and callbacks (with this as user_data). */
    template <class CIn>
    void wire(CIn &ci) {
        if (in->rate_limiter) {
            ci.rate_limiter = in->rate_limiter->get();
        }
        ci.cancel_hook = hook;
        if (in->on_progress) {
            ci.progress_cb = &CallState::progress;
            ci.progress_user_data = this;
        }
        if (in->on_event) {
            ci.event_cb = &CallState::event;
            ci.event_user_data = this;
        }
        if (in->rate_limit) {
            ci.rate_limiter_cb = &CallState::rate;
            ci.rate_limiter_user_data = this;
        }
    }
};

using FileCallState = CallState<UploadFileInput, tos_upload_progress, tos_upload_event>;
using DirCallState = CallState<UploadDirInput, tos_upload_dir_progress, tos_upload_dir_event>;

using StreamCallState = CallState<UploadStreamInput, tos_upload_progress, tos_upload_event>;

using DownloadCallState = CallState<DownloadFileInput, tos_download_progress, tos_download_event>;

using DownloadDirCallState = CallState<DownloadDirInput, tos_download_dir_progress, tos_download_dir_event>;

inline std::string str(const char *s) { return s ? s : ""; }

/** tos_read_cb over UploadStreamInput::read: an exception (or a count past `capacity`) is
 * kept for upload_stream to rethrow, and the negative answer fails the upload. */
inline std::int64_t read_stream(std::uint8_t *buf, std::size_t capacity, void *user_data) noexcept {
    auto *st = static_cast<StreamCallState *>(user_data);
    std::size_t n = 0;
    st->guard([&] {
        n = st->in->read(buf, capacity);
        if (n > capacity) {
            throw std::length_error("the read function returned more bytes than it had room for");
        }
    });
    return st->exception ? -1 : static_cast<std::int64_t>(n);
}

inline UploadFileOutput convert(const tos_upload_file_output *out) {
    UploadFileOutput o;
    o.bucket = str(tos_upload_file_output_bucket(out));
    o.key = str(tos_upload_file_output_key(out));
    o.upload_id = str(tos_upload_file_output_upload_id(out));
    o.etag = str(tos_upload_file_output_etag(out));
    o.location = str(tos_upload_file_output_location(out));
    o.version_id = str(tos_upload_file_output_version_id(out));
    o.request_id = str(tos_upload_file_output_request_id(out));
    o.crc64 = tos_upload_file_output_crc64(out);
    o.part_size = tos_upload_file_output_part_size(out);
    o.bytes_sent = tos_upload_file_output_bytes_sent(out);
    return o;
}

inline UploadStreamOutput convert(const tos_upload_stream_output *out) {
    UploadStreamOutput o;
    o.bucket = str(tos_upload_stream_output_bucket(out));
    o.key = str(tos_upload_stream_output_key(out));
    o.upload_id = str(tos_upload_stream_output_upload_id(out));
    o.etag = str(tos_upload_stream_output_etag(out));
    o.location = str(tos_upload_stream_output_location(out));
    o.version_id = str(tos_upload_stream_output_version_id(out));
    o.request_id = str(tos_upload_stream_output_request_id(out));
    o.crc64 = tos_upload_stream_output_crc64(out);
    o.part_size = tos_upload_stream_output_part_size(out);
    o.bytes_sent = tos_upload_stream_output_bytes_sent(out);
    return o;
}

inline DownloadFileOutput convert(const tos_download_file_output *out) {
    DownloadFileOutput o;
    o.bucket = str(tos_download_file_output_bucket(out));
    o.key = str(tos_download_file_output_key(out));
    o.etag = str(tos_download_file_output_etag(out));
    o.version_id = str(tos_download_file_output_version_id(out));
    o.file_path = str(tos_download_file_output_file_path(out));
    o.size = tos_download_file_output_size(out);
    if (tos_download_file_output_has_crc64(out)) {
        o.crc64 = tos_download_file_output_crc64(out);
    }
    o.bytes_received = tos_download_file_output_bytes_received(out);
    return o;
}

/** Takes ownership of what a call stored (COut: tos_upload_file_output,
 * tos_upload_stream_output or tos_download_file_output, freed by free_out), then returns its
 * converted output or throws: what a callback threw first, else the call's error. */
template <class COut>
auto call_output(tos_result rc, COut *raw_out, void (*free_out)(COut *), tos_error *raw_err,
                   const std::exception_ptr &callback_exception) {
    std::unique_ptr<COut, void (*)(COut *)> out(raw_out, free_out);
    std::unique_ptr<tos_error, void (*)(tos_error *)> err(raw_err, tos_error_free);
    if (callback_exception) {
        std::rethrow_exception(callback_exception);
    }
    if (rc != TOS_OK) {
        throw Error::from(rc, err.get());
    }
    return convert(out.get());
}

} // namespace detail

/** A client: thread-safe, move-only owner of a tos_client. */
class Client {
public:
    explicit Client(const ClientOptions &options = {}) {
        tos_client_options o;
        tos_client_options_init(&o);
        o.endpoint = detail::opt(options.endpoint);
        o.region = detail::opt(options.region);
        o.credentials = static_cast<std::uint32_t>(options.credentials);
        o.access_key = detail::opt(options.access_key);
        o.secret_key = detail::opt(options.secret_key);
        o.security_token = detail::opt(options.security_token);
        o.addressing = options.addressing;
        o.protocol = options.protocol;
        o.max_retry_count = options.max_retry_count;
        o.connect_timeout_ms = static_cast<std::uint32_t>(options.connect_timeout.count());
        o.idle_timeout_ms = static_cast<std::uint32_t>(options.idle_timeout.count());
        o.request_budget_ms = static_cast<std::uint64_t>(options.request_budget.count());
        o.disable_crc = options.disable_crc;
        o.insecure_skip_tls_verify = options.insecure_skip_tls_verify;
        o.proxy = detail::opt(options.proxy);
        o.no_proxy = detail::opt(options.no_proxy);
        o.ca_file = detail::opt(options.ca_file);
        o.client_cert_file = detail::opt(options.client_cert_file);
        o.client_key_file = detail::opt(options.client_key_file);
        o.s3_checksum = static_cast<std::uint32_t>(options.s3_checksum);
        if (options.credentials_provider) {
            credentials_ = std::make_unique<detail::CredentialsState>();
            credentials_->provider = options.credentials_provider;
            o.credentials_cb = &detail::CredentialsState::call;
            o.credentials_user_data = credentials_.get();
            if (options.credentials == Credentials::Auto) {
                o.credentials = TOS_CREDENTIALS_CALLBACK;
            }
        }
        o.max_requests_per_second = options.max_requests_per_second;
        tos_error *error = nullptr;
        tos_result rc = tos_client_new(&o, &client_, &error);
        if (rc != TOS_OK) {
            detail::throw_error(rc, error);
        }
    }
    ~Client() { tos_client_free(client_); }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    Client(Client &&other) noexcept
        : client_(std::exchange(other.client_, nullptr)), credentials_(std::move(other.credentials_)) {}
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            tos_client_free(client_);
            client_ = std::exchange(other.client_, nullptr);
            credentials_ = std::move(other.credentials_);
        }
        return *this;
    }

    /** The C handle, for calls this wrapper does not cover; still owned by the Client. */
    const tos_client *get() const noexcept { return client_; }

    /**
     * Uploads one file (tos_upload_file). Blocks until done; throws tos::Error on failure
     * (paused and aborted included), or rethrows what a callback threw.
     */
    UploadFileOutput upload_file(const UploadFileInput &in) const {
        check_not_moved();
        tos_upload_file_input ci;
        tos_upload_file_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.key = in.key.c_str();
        ci.file_path = in.file_path.c_str();
        ci.part_size = in.part_size;
        ci.task_num = in.task_num;
        ci.disable_checkpoint = !in.enable_checkpoint;
        ci.checkpoint_file = detail::opt(in.checkpoint_file);
        ci.multipart_threshold = in.multipart_threshold;
        ci.force_multipart = in.force_multipart;
        std::vector<tos_meta_entry> meta;
        detail::fill_attributes(in, ci.attributes, meta);

        detail::CallHook hook(in.cancel_hook);
        detail::FileCallState st{&in, hook.get(), nullptr};
        st.wire(ci);

        tos_upload_file_output *out = nullptr;
        tos_error *err = nullptr;
        tos_result rc = tos_upload_file(client_, &ci, &out, &err);
        return detail::call_output(rc, out, tos_upload_file_output_free, err, st.exception);
    }

    /**
     * Uploads a folder tree (tos_upload_dir). Blocks until every file is done. Returns when
     * every file went up, and also when some failed (TOS_ERR_SOME_FILES_FAILED: see
     * UploadDirOutput::ok()); throws tos::Error otherwise (paused and aborted included), or
     * rethrows what a callback threw.
     */
    UploadDirOutput upload_dir(const UploadDirInput &in) const {
        check_not_moved();
        tos_upload_dir_input ci;
        tos_upload_dir_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.prefix = detail::opt(in.prefix);
        ci.dir = in.dir.c_str();
        ci.top_level_only = in.top_level_only;
        std::vector<const char *> include, exclude;
        for (const auto &g : in.include) {
            include.push_back(g.c_str());
        }
        for (const auto &g : in.exclude) {
            exclude.push_back(g.c_str());
        }
        ci.include = include.empty() ? nullptr : include.data();
        ci.include_count = include.size();
        ci.exclude = exclude.empty() ? nullptr : exclude.data();
        ci.exclude_count = exclude.size();
        ci.follow_symlinks = in.follow_symlinks;
        ci.file_concurrency = in.file_concurrency;
        ci.task_num = in.task_num;
        ci.max_connections = in.max_connections;
        ci.part_size = in.part_size;
        ci.checkpoint_dir = detail::opt(in.checkpoint_dir);
        ci.continue_on_error = in.continue_on_error;
        std::vector<tos_meta_entry> meta;
        detail::fill_attributes(in, ci.attributes, meta);

        detail::CallHook hook(in.cancel_hook);
        detail::DirCallState st{&in, hook.get(), nullptr};
        st.wire(ci);

        tos_upload_dir_output *raw_out = nullptr;
        tos_error *raw_err = nullptr;
        tos_result rc = tos_upload_dir(client_, &ci, &raw_out, &raw_err);
        std::unique_ptr<tos_upload_dir_output, void (*)(tos_upload_dir_output *)> out(raw_out,
                                                                                      tos_upload_dir_output_free);
        std::unique_ptr<tos_error, void (*)(tos_error *)> err(raw_err, tos_error_free);
        if (st.exception) {
            std::rethrow_exception(st.exception);
        }
        if ((rc != TOS_OK && rc != TOS_ERR_SOME_FILES_FAILED) || !out) {
            throw Error::from(rc, err.get());
        }
        UploadDirOutput o;
        o.files_uploaded = tos_upload_dir_output_files_uploaded(out.get());
        o.bytes_uploaded = tos_upload_dir_output_bytes_uploaded(out.get());
        o.files_skipped = tos_upload_dir_output_files_skipped(out.get());
        o.bytes_skipped = tos_upload_dir_output_bytes_skipped(out.get());
        o.files_left_out = tos_upload_dir_output_files_left_out(out.get());
        std::size_t n = tos_upload_dir_output_failure_count(out.get());
        for (std::size_t i = 0; i < n; i++) {
            const tos_error *e = tos_upload_dir_output_failure_error(out.get(), i);
            o.failures.push_back(DirFailure{detail::str(tos_upload_dir_output_failure_path(out.get(), i)),
                                            detail::str(tos_upload_dir_output_failure_key(out.get(), i)),
                                            Error::from(tos_error_result(e), e)});
        }
        if (rc != TOS_OK) {
            o.error = Error::from(rc, err.get());
        }
        return o;
    }

    /**
     * Uploads a stream of unknown size (tos_upload_stream), read through in.read on this
     * thread. Throws tos::Error on failure (a pause or abort is Error::aborted(): a stream
     * cannot be resumed), or rethrows what a callback or in.read threw.
     */
    UploadStreamOutput upload_stream(const UploadStreamInput &in) const {
        check_not_moved();
        if (!in.read) {
            throw Error(TOS_ERR_NULL_ARGUMENT, "UploadStreamInput::read is required");
        }
        tos_upload_stream_input ci;
        tos_upload_stream_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.key = in.key.c_str();
        ci.part_size = in.part_size;
        ci.task_num = in.task_num;
        std::vector<tos_meta_entry> meta;
        detail::fill_attributes(in, ci.attributes, meta);

        detail::CallHook hook(in.cancel_hook);
        detail::StreamCallState st{&in, hook.get(), nullptr};
        st.wire(ci);
        ci.read_cb = &detail::read_stream;
        ci.read_user_data = &st;

        tos_upload_stream_output *out = nullptr;
        tos_error *err = nullptr;
        tos_result rc = tos_upload_stream(client_, &ci, &out, &err);
        return detail::call_output(rc, out, tos_upload_stream_output_free, err, st.exception);
    }

    /**
     * Downloads one object to a file (tos_download_file): ranged GETs in parallel into a
     * temporary file, renamed over the destination once the whole object is written and its
     * CRC-64 matches. Blocks until done; throws tos::Error on failure (paused(), aborted(),
     * object_changed(), local_write(), a server error: a missing object is http_status() 404
     * with code() "NoSuchKey", inferred from the bodiless answer of the HEAD that comes first), or rethrows what a callback threw
     * (which pauses the download first).
     */
    DownloadFileOutput download_file(const DownloadFileInput &in) const {
        check_not_moved();
        tos_download_file_input ci;
        tos_download_file_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.key = in.key.c_str();
        ci.version_id = detail::opt(in.version_id);
        ci.file_path = in.file_path.c_str();
        ci.part_size = in.part_size;
        ci.task_num = in.task_num;
        ci.disable_checkpoint = !in.enable_checkpoint;
        ci.checkpoint_file = detail::opt(in.checkpoint_file);
        ci.if_match = detail::opt(in.if_match);
        ci.if_none_match = detail::opt(in.if_none_match);
        ci.if_modified_since = in.if_modified_since;
        ci.if_unmodified_since = in.if_unmodified_since;
        ci.ssec_algorithm = detail::opt(in.ssec_algorithm);
        ci.ssec_key = detail::opt(in.ssec_key);
        ci.ssec_key_md5 = detail::opt(in.ssec_key_md5);
        ci.traffic_limit = in.traffic_limit;

        detail::CallHook hook(in.cancel_hook);
        detail::DownloadCallState st{&in, hook.get(), nullptr};
        st.wire(ci);

        tos_download_file_output *out = nullptr;
        tos_error *err = nullptr;
        tos_result rc = tos_download_file(client_, &ci, &out, &err);
        return detail::call_output(rc, out, tos_download_file_output_free, err, st.exception);
    }

    /**
     * Downloads every object under in.prefix into in.dir (tos_download_dir), several at once,
     * each as download_file does (never a partial file; a key that would lead outside dir
     * fails its object). Blocks until every object is done. Returns when every object came,
     * and also when some failed (TOS_ERR_SOME_FILES_FAILED: see DownloadDirOutput::ok());
     * throws tos::Error otherwise (bad input, a listing that fails such as a missing bucket,
     * paused and aborted included), or rethrows what a callback threw.
     */
    DownloadDirOutput download_dir(const DownloadDirInput &in) const {
        check_not_moved();
        tos_download_dir_input ci;
        tos_download_dir_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.prefix = detail::opt(in.prefix);
        ci.dir = in.dir.c_str();
        std::vector<const char *> include, exclude;
        for (const auto &g : in.include) {
            include.push_back(g.c_str());
        }
        for (const auto &g : in.exclude) {
            exclude.push_back(g.c_str());
        }
        ci.include = include.empty() ? nullptr : include.data();
        ci.include_count = include.size();
        ci.exclude = exclude.empty() ? nullptr : exclude.data();
        ci.exclude_count = exclude.size();
        ci.file_concurrency = in.file_concurrency;
        ci.task_num = in.task_num;
        ci.part_size = in.part_size;
        ci.checkpoint_dir = detail::opt(in.checkpoint_dir);
        ci.continue_on_error = in.continue_on_error;
        ci.skip_existing = in.skip_existing;

        detail::CallHook hook(in.cancel_hook);
        detail::DownloadDirCallState st{&in, hook.get(), nullptr};
        st.wire(ci);

        tos_download_dir_output *raw_out = nullptr;
        tos_error *raw_err = nullptr;
        tos_result rc = tos_download_dir(client_, &ci, &raw_out, &raw_err);
        std::unique_ptr<tos_download_dir_output, void (*)(tos_download_dir_output *)> out(
            raw_out, tos_download_dir_output_free);
        std::unique_ptr<tos_error, void (*)(tos_error *)> err(raw_err, tos_error_free);
        if (st.exception) {
            std::rethrow_exception(st.exception);
        }
        if ((rc != TOS_OK && rc != TOS_ERR_SOME_FILES_FAILED) || !out) {
            throw Error::from(rc, err.get());
        }
        DownloadDirOutput o;
        o.files_downloaded = tos_download_dir_output_files_downloaded(out.get());
        o.bytes_downloaded = tos_download_dir_output_bytes_downloaded(out.get());
        o.files_skipped = tos_download_dir_output_files_skipped(out.get());
        o.bytes_skipped = tos_download_dir_output_bytes_skipped(out.get());
        o.dirs_created = tos_download_dir_output_dirs_created(out.get());
        std::size_t n = tos_download_dir_output_failure_count(out.get());
        for (std::size_t i = 0; i < n; i++) {
            const tos_error *e = tos_download_dir_output_failure_error(out.get(), i);
            o.failures.push_back(DirFailure{detail::str(tos_download_dir_output_failure_path(out.get(), i)),
                                            detail::str(tos_download_dir_output_failure_key(out.get(), i)),
                                            Error::from(tos_error_result(e), e)});
        }
        if (rc != TOS_OK) {
            o.error = Error::from(rc, err.get());
        }
        return o;
    }

    /** The open multipart uploads of a bucket (tos_list_multipart_uploads), every page. */
    std::vector<MultipartUpload> list_multipart_uploads(const ListMultipartUploadsInput &in) const {
        check_not_moved();
        tos_list_multipart_uploads_input ci;
        tos_list_multipart_uploads_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.prefix = detail::opt(in.prefix);
        ci.limit = in.limit;
        ci.page_size = in.page_size;
        detail::CallHook hook(in.cancel_hook);
        ci.cancel_hook = hook.get();

        tos_list_multipart_uploads_output *raw_list = nullptr;
        tos_error *raw_err = nullptr;
        tos_result rc = tos_list_multipart_uploads(client_, &ci, &raw_list, &raw_err);
        std::unique_ptr<tos_list_multipart_uploads_output, void (*)(tos_list_multipart_uploads_output *)> list(
            raw_list, tos_list_multipart_uploads_output_free);
        std::unique_ptr<tos_error, void (*)(tos_error *)> err(raw_err, tos_error_free);
        if (rc != TOS_OK) {
            throw Error::from(rc, err.get());
        }
        std::vector<MultipartUpload> uploads(tos_list_multipart_uploads_output_count(list.get()));
        for (std::size_t i = 0; i < uploads.size(); i++) {
            uploads[i].key = detail::str(tos_list_multipart_uploads_output_key(list.get(), i));
            uploads[i].upload_id = detail::str(tos_list_multipart_uploads_output_upload_id(list.get(), i));
            if (std::int64_t secs = tos_list_multipart_uploads_output_initiated(list.get(), i)) {
                uploads[i].initiated = std::chrono::system_clock::time_point(std::chrono::seconds(secs));
            }
        }
        return uploads;
    }

    /**
     * Aborts an open multipart upload (tos_abort_multipart_upload): its parts are deleted.
     * Throws tos::Error: TOS_ERR_SERVER with code() "NoSuchUpload" when none is open.
     */
    void abort_multipart_upload(const AbortMultipartUploadInput &in) const {
        check_not_moved();
        tos_abort_multipart_upload_input ci;
        tos_abort_multipart_upload_input_init(&ci);
        ci.bucket = in.bucket.c_str();
        ci.key = in.key.c_str();
        ci.upload_id = in.upload_id.c_str();
        detail::CallHook hook(in.cancel_hook);
        ci.cancel_hook = hook.get();
        tos_error *raw_err = nullptr;
        tos_result rc = tos_abort_multipart_upload(client_, &ci, &raw_err);
        std::unique_ptr<tos_error, void (*)(tos_error *)> err(raw_err, tos_error_free);
        if (rc != TOS_OK) {
            throw Error::from(rc, err.get());
        }
    }

private:
    void check_not_moved() const {
        if (client_ == nullptr) {
            throw Error(TOS_ERR_NULL_ARGUMENT, "the client was moved from");
        }
    }

    const tos_client *client_ = nullptr;
    // Freed after client_ (declared after it): the library calls it until then.
    std::unique_ptr<detail::CredentialsState> credentials_;
};

} // namespace tos

#endif // TOSUPLOAD_HPP
