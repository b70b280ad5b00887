//! Credentials a program supplies while a client runs (`TOS_CREDENTIALS_CALLBACK`): STS tokens
//! that expire during a long upload are replaced without a new client.

use super::guard::opt_str;
use super::reentrancy::in_callback;
use super::result::tos_result;
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, SystemTime};
use tosupload_engine::{CredentialsProvider, ErrorKind, ProvidedCredentials, UploadError};

/// What `tos_credentials_cb` fills in. The library zeroes it and sets `struct_size` before
/// each call; the callback sets the fields it has.
#[repr(C)]
pub struct tos_provided_credentials {
    /// `sizeof` this struct in the library that made it (see `TOS_FIELD_PRESENT`).
    pub struct_size: usize,
    /// Required: the access key.
    pub access_key: *const c_char,
    /// Required: the secret key.
    pub secret_key: *const c_char,
    /// Optional: the STS security token; NULL or "" for none.
    pub security_token: *const c_char,
    /// When these credentials stop working, in milliseconds since the Unix epoch (UTC);
    /// 0 = they do not expire.
    pub expires_at_unix_ms: u64,
}

/// Supplies credentials to a client made with `credentials = TOS_CREDENTIALS_CALLBACK`.
/// Called before the first request, again before `expires_at_unix_ms` (5 minutes ahead, or a
/// tenth of the credentials' lifetime when that is shorter), and again after a 403 that
/// means the token expired (`ExpiredToken`, or any 403 once `expires_at_unix_ms` has
/// passed); the refused request is then signed again and sent once more, which is not one
/// of its retries. Fill `*credentials` and return `TOS_OK`. The library copies the strings
/// as soon as the callback returns: they must stay valid until then (keep them in
/// `user_data`), and may be freed or reused after.
///
/// Calls come one at a time, from a thread of the library (requests that need credentials
/// meanwhile wait for the call's answer), and may block, e.g. to ask an STS service; a
/// request waits at most 60 s for one (then `TOS_ERR_TIMEOUT`), and a pause or abort does
/// not wait for it. A call still running when `tos_client_free` returns (which waits about
/// 500 ms for it) finishes afterwards and its answer is dropped: keep `user_data` valid until
/// it returns. Inside, a call that sends requests returns `TOS_ERR_REENTRANT_CALL`.
/// Any other return than `TOS_OK`, or no access key or secret key, fails the requests that
/// needed the credentials with `TOS_ERR_MISSING_CREDENTIALS` (credentials not yet expired
/// keep serving until they do). The secret key and the token never appear in messages or
/// logs.
pub type tos_credentials_cb = Option<
    unsafe extern "C" fn(
        credentials: *mut tos_provided_credentials,
        user_data: *mut c_void,
    ) -> tos_result,
>;

/// The program's callback as the engine's provider.
pub(crate) struct CallbackCredentials {
    callback: unsafe extern "C" fn(*mut tos_provided_credentials, *mut c_void) -> u32,
    user_data: *mut c_void,
}

// SAFETY: the engine calls the provider on one thread at a time (`tos_credentials_cb`
// promises the program as much); `user_data` is only handed back to its own callback.
unsafe impl Send for CallbackCredentials {}
// SAFETY: as above: calls never overlap, so a shared reference never runs two at once.
unsafe impl Sync for CallbackCredentials {}

impl CallbackCredentials {
    pub(crate) fn new(callback: tos_credentials_cb, user_data: *mut c_void) -> Option<Self> {
        // SAFETY: `tos_result` is `repr(u32)`, so the two signatures have one ABI; reading
        // the answer as a plain number keeps a value the enum lacks from being undefined
        // behaviour.
        let callback = unsafe {
            std::mem::transmute::<
                unsafe extern "C" fn(*mut tos_provided_credentials, *mut c_void) -> tos_result,
                unsafe extern "C" fn(*mut tos_provided_credentials, *mut c_void) -> u32,
            >(callback?)
        };
        Some(CallbackCredentials {
            callback,
            user_data,
        })
    }

    fn call(&self) -> Result<ProvidedCredentials, UploadError> {
        let mut given = tos_provided_credentials {
            struct_size: std::mem::size_of::<tos_provided_credentials>(),
            access_key: std::ptr::null(),
            secret_key: std::ptr::null(),
            security_token: std::ptr::null(),
            expires_at_unix_ms: 0,
        };
        let (callback, user_data) = (self.callback, self.user_data);
        // SAFETY: the program's callback, called as its typedef documents.
        let result = in_callback(|| unsafe { callback(&mut given, user_data) });
        if result != tos_result::TOS_OK as u32 {
            let name = tos_result::from_u32(result)
                .map_or(c"TOS_UNKNOWN_RESULT", tos_result::name)
                .to_string_lossy();
            return Err(missing(format!("it returned {name} ({result})")));
        }
        // Copied at once: the strings need only live until the callback returned.
        // SAFETY: NULL or NUL-terminated strings, valid until now as the typedef demands.
        let text = |ptr, what| unsafe { opt_str(ptr, what) }.map(|s| s.unwrap_or("").to_owned());
        let copied = (
            text(given.access_key, "access_key"),
            text(given.secret_key, "secret_key"),
            text(given.security_token, "security_token"),
        );
        let (Ok(access_key), Ok(secret_key), Ok(security_token)) = copied else {
            return Err(missing("a string it returned is not valid UTF-8".into()));
        };
        if access_key.is_empty() || secret_key.is_empty() {
            return Err(missing("it returned no access key or no secret key".into()));
        }
        let expires_at = (given.expires_at_unix_ms != 0)
            .then(|| SystemTime::UNIX_EPOCH + Duration::from_millis(given.expires_at_unix_ms));
        Ok(ProvidedCredentials {
            access_key,
            secret_key,
            security_token,
            expires_at,
        })
    }
}

impl CredentialsProvider for CallbackCredentials {
    fn credentials(&self) -> Result<ProvidedCredentials, UploadError> {
        catch_unwind(AssertUnwindSafe(|| self.call()))
            .unwrap_or_else(|_| Err(missing("it unwound (a panic or an exception)".into())))
    }
}

fn missing(why: String) -> UploadError {
    UploadError::new(
        ErrorKind::MissingCredentials,
        format!("the credentials callback (`credentials_cb`) gave no credentials: {why}"),
    )
}
