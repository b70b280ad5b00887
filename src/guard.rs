//! The guards every entry point goes through: a panic boundary around the body (so cbindgen
//! still sees a plain signature), NULL checks, `struct_size` checks, and C string
//! conversion with a clear error for invalid UTF-8.

use super::error::tos_error;
use super::result::tos_result;
use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

/// What a function returns when its body panicked.
pub(crate) trait PanicDefault {
    fn panic_default() -> Self;
}

impl PanicDefault for tos_result {
    fn panic_default() -> Self {
        tos_result::TOS_ERR_PANIC
    }
}

impl<T> PanicDefault for *const T {
    fn panic_default() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicDefault for *mut T {
    fn panic_default() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicDefault for () {
    fn panic_default() -> Self {}
}

macro_rules! panic_default_zero {
    ($($t:ty),*) => { $(impl PanicDefault for $t { fn panic_default() -> Self { Default::default() } })* };
}
panic_default_zero!(bool, u16, u32, u64, i32, i64, usize);

/// Runs the body, turning a panic into `PanicDefault::panic_default()` (`TOS_ERR_PANIC`,
/// NULL, 0 or false). Since Rust 1.81 a panic escaping `extern "C"` aborts the host process;
/// this keeps a bug of ours from killing the caller's program.
macro_rules! ffi_panic_boundary {
    ($($body:tt)*) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::guard::PanicDefault::panic_default(),
        }
    }};
}

/// For functions with a `tos_error **error_out`: the body returns `Result<(), tos_error>`
/// (so it can use `?`); `Ok` becomes `TOS_OK`, an error or a panic is stored in
/// `*error_out` (when not NULL) and its code returned.
macro_rules! ffi_boundary_with_error {
    ($error_out:expr, $body:block) => {{
        let error_out: *mut *mut $crate::error::tos_error = $error_out;
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<(), $crate::error::tos_error> { $body },
        ));
        match outcome {
            Ok(Ok(())) => $crate::result::tos_result::TOS_OK,
            Ok(Err(error)) => $crate::error::store_error(error_out, error),
            Err(payload) => {
                $crate::error::store_error(error_out, $crate::error::tos_error::from_panic(payload))
            }
        }
    }};
}

pub(crate) fn null_error(what: &str) -> tos_error {
    tos_error::new(
        tos_result::TOS_ERR_NULL_ARGUMENT,
        format!("`{what}` is NULL"),
    )
}

/// Checks that an output pointer is not NULL (before any work is done).
pub(crate) fn check_out<T>(ptr: *mut T, what: &str) -> Result<(), tos_error> {
    if ptr.is_null() {
        Err(null_error(what))
    } else {
        Ok(())
    }
}

/// A NUL-terminated UTF-8 string; `None` for NULL.
pub(crate) unsafe fn opt_str<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, tos_error> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr).to_str().map(Some).map_err(|e| {
        tos_error::new(
            tos_result::TOS_ERR_INVALID_UTF8,
            format!(
                "`{what}` is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A required string: NULL is `TOS_ERR_NULL_ARGUMENT`; the empty string is passed on (the
/// engine decides whether it is acceptable).
pub(crate) unsafe fn required_string(ptr: *const c_char, what: &str) -> Result<String, tos_error> {
    opt_str(ptr, what)?
        .map(str::to_owned)
        .ok_or_else(|| null_error(what))
}

/// An optional string: NULL and "" both mean "not set".
pub(crate) unsafe fn optional_string(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<String>, tos_error> {
    Ok(opt_str(ptr, what)?
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

/// A string where NULL means "" (fields that fall back to a default when empty).
pub(crate) unsafe fn string_or_empty(ptr: *const c_char, what: &str) -> Result<String, tos_error> {
    Ok(opt_str(ptr, what)?.unwrap_or_default().to_owned())
}

/// `count` strings at `array` (NULL with count 0 = none); every entry required.
pub(crate) unsafe fn string_array(
    array: *const *const c_char,
    count: usize,
    what: &str,
) -> Result<Vec<String>, tos_error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() {
        return Err(null_error(what));
    }
    std::slice::from_raw_parts(array, count)
        .iter()
        .enumerate()
        .map(|(i, s)| required_string(*s, &format!("{what}[{i}]")))
        .collect()
}

/// A local path: any bytes but NUL, taken as they are (`OsStr::from_bytes`), not as UTF-8.
/// NULL and "" are `None`.
pub(crate) unsafe fn optional_path(ptr: *const c_char) -> Option<PathBuf> {
    if ptr.is_null() {
        return None;
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    (!bytes.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(bytes)))
}

/// A new `Arc` sharing the object behind a pointer made by `Arc::into_raw`; the caller's
/// reference stays valid and owned by the caller.
pub(crate) unsafe fn clone_arc<T>(ptr: *const T) -> Option<Arc<T>> {
    if ptr.is_null() {
        return None;
    }
    Arc::increment_strong_count(ptr);
    Some(Arc::from_raw(ptr))
}

/// A versioned input struct: `#[repr(C)]`, starts with `size_t struct_size`, and all-zero
/// bytes are a valid value of it (pointers NULL, callbacks None, numbers 0, bools false).
///
/// Fields are only ever appended, and the first field appended after a release must start at
/// or past that release's `sizeof` (not in its tail padding): a caller built then passes
/// that `sizeof` as `struct_size`, and its padding bytes may hold anything.
pub(crate) unsafe trait Versioned: Sized {
    /// `sizeof` in the first release of this major version that had the struct (1.0.0 for
    /// all of today's), written as a number because it must not follow later changes. Callers compiled against an older header pass a smaller
    /// `struct_size`; the fields they do not know are read as zero.
    const MIN_SIZE: usize;
    const NAME: &'static str;
}

/// Copies a versioned struct from C: fields past the caller's `struct_size` are zero.
pub(crate) unsafe fn read_versioned<T: Versioned>(
    ptr: *const T,
    what: &str,
) -> Result<T, tos_error> {
    // The MIN_SIZE literals are 64-bit layouts: elsewhere this stops the build instead of
    // refusing every struct at run time.
    const {
        assert!(
            T::MIN_SIZE <= std::mem::size_of::<T>(),
            "Versioned::MIN_SIZE is larger than the struct (a non-64-bit target?)"
        )
    };
    if ptr.is_null() {
        return Err(null_error(what));
    }
    let size = ptr.cast::<usize>().read();
    let max = std::mem::size_of::<T>();
    if size < T::MIN_SIZE || size > max {
        return Err(tos_error::new(
            tos_result::TOS_ERR_STRUCT_SIZE,
            format!(
                "`{what}->struct_size` is {size}, but this library (tosupload {}) accepts {} of {}..={} bytes: \
                 initialise the struct with its _init function, and compile against the header of this library",
                env!("CARGO_PKG_VERSION"),
                T::NAME,
                T::MIN_SIZE,
                max
            ),
        ));
    }
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), value.as_mut_ptr().cast::<u8>(), size);
    Ok(value.assume_init())
}

/// The whole body of every `_init` function: `TOS_ERR_NULL_ARGUMENT` for NULL, else zeroes the
/// versioned struct, sets its `struct_size` and returns `TOS_OK`. (The `_init` functions stay
/// written out one by one, with their doc comments, because cbindgen does not expand macros.)
///
/// It writes `T::MIN_SIZE` bytes, the struct as the first release that had it laid it out: a
/// program built then passes a struct of that size, with no size of its own, and writing the
/// grown struct would overrun it (a 1.0 program's 88-byte `tos_client_options` on its stack,
/// zeroed to 1.1's 152 bytes, lost what followed it). Programs built against a header in which
/// the struct grew reach `init_versioned_sized` instead, through the header's macro.
pub(crate) unsafe fn init_versioned<T: Versioned>(ptr: *mut T) -> tos_result {
    init_versioned_sized(ptr, T::MIN_SIZE)
}

/// `init_versioned` for a caller that says how large its struct is (`sizeof` in the header it
/// was built with): `TOS_ERR_STRUCT_SIZE` outside `MIN_SIZE..=size_of::<T>()`.
pub(crate) unsafe fn init_versioned_sized<T: Versioned>(ptr: *mut T, size: usize) -> tos_result {
    ffi_panic_boundary! {
        if ptr.is_null() {
            return tos_result::TOS_ERR_NULL_ARGUMENT;
        }
        if size < T::MIN_SIZE || size > std::mem::size_of::<T>() {
            return tos_result::TOS_ERR_STRUCT_SIZE;
        }
        std::ptr::write_bytes(ptr.cast::<u8>(), 0, size);
        ptr.cast::<usize>().write(size);
        tos_result::TOS_OK
    }
}
