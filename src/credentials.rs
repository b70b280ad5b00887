//! Credentials a program supplies while a client runs (`TOS_CREDENTIALS_CALLBACK`): STS tokens
//! that expire during a long upload are replaced without a new client.

use super::result::tos_result;
use std::ffi::{c_char, c_void};

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
/// Called before the first request, again shortly before `expires_at_unix_ms`, and again
/// after a server answer that means the token expired. Fill `*credentials` and return
/// `TOS_OK`. The library copies the strings as soon as the callback returns: they must stay
/// valid until then (keep them in `user_data`), and may be freed or reused after. Calls come
/// one at a time, from a thread of the library; inside, a call that sends requests returns
/// `TOS_ERR_REENTRANT_CALL`.
pub type tos_credentials_cb = Option<
    unsafe extern "C" fn(
        credentials: *mut tos_provided_credentials,
        user_data: *mut c_void,
    ) -> tos_result,
>;
