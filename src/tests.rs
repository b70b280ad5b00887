//! Rust-side tests of the C entry points, called directly (no server needed).

use super::callbacks::{tos_upload_event_kind, tos_upload_progress_kind};
use super::client::*;
use super::error::*;
use super::guard::{read_versioned, Versioned};
use super::result::*;
use super::upload_dir::tos_upload_dir_input;
use super::upload_file::*;
use super::upload_stream::tos_upload_stream_input;
use super::version::tos_version;
use std::ffi::CStr;
use std::ptr;
use tosupload_engine::{ErrorKind, ProgressKind, UploadEventKind};

#[test]
fn result_numbers_are_stable() {
    use tos_result::*;
    let expected: [(tos_result, u32); 31] = [
        (TOS_OK, 0),
        (TOS_ERR_NULL_ARGUMENT, 100),
        (TOS_ERR_STRUCT_SIZE, 101),
        (TOS_ERR_INVALID_UTF8, 102),
        (TOS_ERR_INVALID_ARGUMENT, 103),
        (TOS_ERR_INVALID_ENDPOINT, 104),
        (TOS_ERR_MISSING_CREDENTIALS, 105),
        (TOS_ERR_INVALID_BUCKET, 106),
        (TOS_ERR_INVALID_KEY, 107),
        (TOS_ERR_INVALID_PART_SIZE, 108),
        (TOS_ERR_TOO_MANY_PARTS, 109),
        (TOS_ERR_FILE_NOT_FOUND, 110),
        (TOS_ERR_FILE_IS_DIRECTORY, 111),
        (TOS_ERR_FILE_UNREADABLE, 112),
        (TOS_ERR_CHECKPOINT_PATH, 113),
        (TOS_ERR_REENTRANT_CALL, 114),
        (TOS_ERR_NETWORK, 200),
        (TOS_ERR_TIMEOUT, 201),
        (TOS_ERR_SERVER, 202),
        (TOS_ERR_CRC_MISMATCH, 203),
        (TOS_ERR_FILE_CHANGED, 204),
        (TOS_ERR_CHECKPOINT_IO, 205),
        (TOS_ERR_SOME_FILES_FAILED, 206),
        (TOS_ERR_STREAM_READ, 207),
        (TOS_ERR_OBJECT_CHANGED, 208),
        (TOS_ERR_LOCAL_WRITE, 209),
        (TOS_ERR_CHECKPOINT_IN_USE, 210),
        (TOS_PAUSED, 300),
        (TOS_ABORTED, 301),
        (TOS_ERR_INTERNAL, 900),
        (TOS_ERR_PANIC, 901),
    ];
    for (code, number) in expected {
        assert_eq!(code as u32, number, "{code:?}");
        let name = unsafe { CStr::from_ptr(tos_result_name(number)) };
        assert_eq!(name.to_str().unwrap(), format!("{code:?}"));
        assert_eq!(tos_result::from_u32(number), Some(code));
    }
    let unknown = unsafe { CStr::from_ptr(tos_result_name(7)) };
    assert_eq!(unknown.to_str().unwrap(), "TOS_UNKNOWN_RESULT");
    assert_eq!(tos_result::from_kind(ErrorKind::Paused), TOS_PAUSED);
    assert_eq!(tos_result::from_kind(ErrorKind::Panic), TOS_ERR_PANIC);
}

#[test]
fn event_numbers_are_the_go_sdks() {
    // The Go SDK's UploadEventType numbers (1-7) are part of the C contract; ours follow.
    assert_eq!(
        tos_upload_event_kind::from(UploadEventKind::CreateMultipartUploadSucceeded) as u32,
        1
    );
    assert_eq!(
        tos_upload_event_kind::from(UploadEventKind::CompleteMultipartUploadFailed) as u32,
        7
    );
    assert_eq!(
        tos_upload_event_kind::from(UploadEventKind::PartSizeAdjusted) as u32,
        11
    );
    assert_eq!(
        tos_upload_event_kind::from(UploadEventKind::TaskNumChanged) as u32,
        12
    );
    assert_eq!(
        tos_upload_progress_kind::from(ProgressKind::Failed) as u32,
        4
    );
}

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(tos_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

fn options() -> tos_client_options {
    let mut options = std::mem::MaybeUninit::<tos_client_options>::uninit();
    assert_eq!(
        unsafe { tos_client_options_init(options.as_mut_ptr()) },
        tos_result::TOS_OK
    );
    let mut options = unsafe { options.assume_init() };
    options.endpoint = c"http://127.0.0.1:9".as_ptr();
    options.region = c"cn-beijing".as_ptr();
    options.access_key = c"AK".as_ptr();
    options.secret_key = c"SK".as_ptr();
    options
}

unsafe fn take_error(error: *mut tos_error) -> (tos_result, String) {
    assert!(!error.is_null());
    let result = tos_error_result(error);
    let message = CStr::from_ptr(tos_error_message(error))
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!message.is_empty());
    assert_eq!(CStr::from_ptr(tos_error_code(error)).to_bytes(), b"");
    assert!(!tos_error_is_server_error(error));
    tos_error_free(error);
    (result, message)
}

#[test]
fn client_new_checks_its_arguments() {
    unsafe {
        let mut client: *const tos_client = ptr::null();
        let mut error: *mut tos_error = ptr::null_mut();
        let rc = tos_client_new(ptr::null(), &mut client, &mut error);
        assert_eq!(rc, tos_result::TOS_ERR_NULL_ARGUMENT);
        assert!(client.is_null());
        let (code, message) = take_error(error);
        assert_eq!(code, rc);
        assert!(message.contains("options"), "{message}");

        let mut opts = options();
        opts.struct_size = 8;
        let mut error: *mut tos_error = ptr::null_mut();
        let rc = tos_client_new(&opts, &mut client, &mut error);
        assert_eq!(rc, tos_result::TOS_ERR_STRUCT_SIZE);
        take_error(error);

        let mut opts = options();
        opts.addressing = 3;
        let rc = tos_client_new(&opts, &mut client, ptr::null_mut());
        assert_eq!(rc, tos_result::TOS_ERR_INVALID_ARGUMENT);

        let mut opts = options();
        let bad = [b'c', b'n', 0xff, 0];
        opts.region = bad.as_ptr().cast();
        let mut error: *mut tos_error = ptr::null_mut();
        let rc = tos_client_new(&opts, &mut client, &mut error);
        assert_eq!(rc, tos_result::TOS_ERR_INVALID_UTF8);
        let (_, message) = take_error(error);
        assert!(
            message.contains("options->region") && message.contains("offset 2"),
            "{message}"
        );
        assert!(client.is_null());

        let opts = options();
        assert_eq!(
            tos_client_new(&opts, ptr::null_mut(), ptr::null_mut()),
            tos_result::TOS_ERR_NULL_ARGUMENT
        );
        let rc = tos_client_new(&opts, &mut client, ptr::null_mut());
        assert_eq!(rc, tos_result::TOS_OK);
        assert!(!client.is_null());
        tos_client_free(client);
        tos_client_free(ptr::null());
    }
}

#[test]
fn upload_input_is_checked_before_the_engine() {
    unsafe {
        let opts = options();
        let mut client: *const tos_client = ptr::null();
        assert_eq!(
            tos_client_new(&opts, &mut client, ptr::null_mut()),
            tos_result::TOS_OK
        );

        let mut input = std::mem::MaybeUninit::<tos_upload_file_input>::uninit();
        assert_eq!(
            tos_upload_file_input_init(input.as_mut_ptr()),
            tos_result::TOS_OK
        );
        let mut input = input.assume_init();
        assert!(!input.disable_checkpoint);
        assert_eq!(
            input.struct_size,
            std::mem::size_of::<tos_upload_file_input>()
        );

        let mut output: *mut tos_upload_file_output = ptr::null_mut();
        let mut error: *mut tos_error = ptr::null_mut();
        // bucket is NULL
        let rc = tos_upload_file(client, &input, &mut output, &mut error);
        assert_eq!(rc, tos_result::TOS_ERR_NULL_ARGUMENT);
        assert!(output.is_null());
        let (_, message) = take_error(error);
        assert!(message.contains("input->bucket"), "{message}");

        input.bucket = c"bucket".as_ptr();
        input.key = c"key".as_ptr();
        input.file_path = c"/nonexistent".as_ptr();
        input.attributes.meta_count = 2;
        assert_eq!(
            tos_upload_file(client, &input, &mut output, ptr::null_mut()),
            tos_result::TOS_ERR_NULL_ARGUMENT
        );
        input.attributes.meta_count = 0;
        let bad_key = [b'k', 0xc3, 0x28, 0];
        input.key = bad_key.as_ptr().cast();
        assert_eq!(
            tos_upload_file(client, &input, &mut output, ptr::null_mut()),
            tos_result::TOS_ERR_INVALID_UTF8
        );
        input.struct_size += 1;
        assert_eq!(
            tos_upload_file(client, &input, &mut output, ptr::null_mut()),
            tos_result::TOS_ERR_STRUCT_SIZE
        );
        assert_eq!(
            tos_upload_file(ptr::null(), &input, &mut output, ptr::null_mut()),
            tos_result::TOS_ERR_NULL_ARGUMENT
        );
        assert!(output.is_null());
        tos_upload_file_output_free(ptr::null_mut());
        tos_error_free(ptr::null_mut());
        tos_client_free(client);
    }
}

#[test]
fn getters_accept_null() {
    unsafe {
        assert!(tos_error_message(ptr::null()).is_null());
        assert_eq!(tos_error_http_status(ptr::null()), 0);
        assert_eq!(
            tos_error_result(ptr::null()),
            tos_result::TOS_ERR_NULL_ARGUMENT
        );
        assert!(tos_upload_file_output_etag(ptr::null()).is_null());
        assert_eq!(tos_upload_file_output_crc64(ptr::null()), 0);
    }
}

fn panicking_with_error(error_out: *mut *mut tos_error) -> tos_result {
    ffi_boundary_with_error!(error_out, { panic!("boom") })
}

fn panicking_pointer() -> *const u8 {
    ffi_panic_boundary! { panic!("boom") }
}

#[test]
fn panics_become_tos_err_panic() {
    let mut error: *mut tos_error = ptr::null_mut();
    assert_eq!(panicking_with_error(&mut error), tos_result::TOS_ERR_PANIC);
    let (code, message) = unsafe { take_error(error) };
    assert_eq!(code, tos_result::TOS_ERR_PANIC);
    assert!(message.contains("boom"), "{message}");
    assert_eq!(
        panicking_with_error(ptr::null_mut()),
        tos_result::TOS_ERR_PANIC
    );
    assert!(panicking_pointer().is_null());
}

#[test]
fn min_sizes_are_the_1_0_0_layouts_and_1_1_appends_past_them() {
    use crate::multipart_uploads::{
        tos_abort_multipart_upload_input, tos_list_multipart_uploads_input,
    };
    use std::mem::size_of;
    // In 1.0.0 every input is whole at its minimum size; a field appended in 1.x must start at
    // or past these (tests/abi/check_abi.py also holds the sizes of each release).
    // 1.1 appended the options from `proxy` on: the first starts at 1.0.0's end, not in its
    // tail padding, whose bytes a 1.0.0 caller may have left unset.
    assert_eq!(
        tos_client_options::MIN_SIZE,
        std::mem::offset_of!(tos_client_options, proxy)
    );
    assert_eq!(
        tos_upload_file_input::MIN_SIZE,
        size_of::<tos_upload_file_input>()
    );
    assert_eq!(
        tos_upload_stream_input::MIN_SIZE,
        size_of::<tos_upload_stream_input>()
    );
    assert_eq!(
        tos_upload_dir_input::MIN_SIZE,
        size_of::<tos_upload_dir_input>()
    );
    assert_eq!(
        tos_list_multipart_uploads_input::MIN_SIZE,
        size_of::<tos_list_multipart_uploads_input>()
    );
    assert_eq!(
        tos_abort_multipart_upload_input::MIN_SIZE,
        size_of::<tos_abort_multipart_upload_input>()
    );
    use crate::download_dir::tos_download_dir_input;
    assert_eq!(
        tos_download_dir_input::MIN_SIZE,
        size_of::<tos_download_dir_input>()
    );
    use crate::download_file::tos_download_file_input;
    assert_eq!(
        tos_download_file_input::MIN_SIZE,
        size_of::<tos_download_file_input>()
    );
}

/// A `T` whose first `struct_size` bytes are zero (but `struct_size`) and whose remaining
/// bytes are 0xff, as an older caller's struct followed by unrelated memory.
#[repr(C, align(8))]
struct Buffer([u8; 512]);

fn buffer_with_size<T: Versioned>(struct_size: usize) -> Buffer {
    assert!(std::mem::size_of::<T>() + 8 <= 512);
    let mut buffer = Buffer([0xff; 512]);
    buffer.0[..struct_size.min(512)].fill(0);
    buffer.0[..8].copy_from_slice(&struct_size.to_ne_bytes());
    buffer
}

unsafe fn check_struct_size_range<T: Versioned>() {
    let max = std::mem::size_of::<T>();
    for size in [0, 8, T::MIN_SIZE - 1, max + 1, max + 8] {
        let buffer = buffer_with_size::<T>(size);
        let error = read_versioned(buffer.0.as_ptr().cast::<T>(), "input")
            .err()
            .unwrap_or_else(|| panic!("{} accepted struct_size {size}", T::NAME));
        let message = tos_error_message(&error);
        assert!(
            CStr::from_ptr(message)
                .to_str()
                .unwrap()
                .contains(&format!("{}..={max}", T::MIN_SIZE)),
            "{}",
            CStr::from_ptr(message).to_str().unwrap()
        );
        assert_eq!(tos_error_result(&error), tos_result::TOS_ERR_STRUCT_SIZE);
    }
    for size in T::MIN_SIZE..=max {
        let buffer = buffer_with_size::<T>(size);
        assert!(
            read_versioned(buffer.0.as_ptr().cast::<T>(), "input").is_ok(),
            "{} refused struct_size {size}",
            T::NAME
        );
    }
}

#[test]
fn struct_size_below_min_size_is_refused_and_min_size_up_to_sizeof_accepted() {
    unsafe {
        check_struct_size_range::<tos_client_options>();
        check_struct_size_range::<tos_upload_file_input>();
        check_struct_size_range::<tos_upload_dir_input>();
        check_struct_size_range::<tos_upload_stream_input>();
    }
}

#[test]
fn fields_past_struct_size_are_read_as_zero() {
    unsafe {
        let buffer = buffer_with_size::<tos_client_options>(tos_client_options::MIN_SIZE);
        let Ok(options) = read_versioned(buffer.0.as_ptr().cast::<tos_client_options>(), "options")
        else {
            panic!("a first-release struct_size was refused");
        };
        assert_eq!(options.struct_size, tos_client_options::MIN_SIZE);
        assert_eq!(options.request_budget_ms, 0);
        let buffer = buffer_with_size::<tos_upload_file_input>(tos_upload_file_input::MIN_SIZE);
        let Ok(input) = read_versioned(buffer.0.as_ptr().cast::<tos_upload_file_input>(), "input")
        else {
            panic!("a first-release struct_size was refused");
        };
        assert_eq!(input.multipart_threshold, 0);
        assert!(!input.force_multipart);
        let buffer = buffer_with_size::<tos_upload_dir_input>(tos_upload_dir_input::MIN_SIZE);
        let Ok(input) = read_versioned(buffer.0.as_ptr().cast::<tos_upload_dir_input>(), "input")
        else {
            panic!("a first-release struct_size was refused");
        };
        assert!(!input.skip_existing);
    }
}

#[test]
fn client_new_accepts_a_first_release_options_struct() {
    unsafe {
        let mut opts = options();
        opts.struct_size = tos_client_options::MIN_SIZE;
        let mut client: *const tos_client = ptr::null();
        assert_eq!(
            tos_client_new(&opts, &mut client, ptr::null_mut()),
            tos_result::TOS_OK
        );
        tos_client_free(client);
        opts.struct_size = tos_client_options::MIN_SIZE - 1;
        let mut error: *mut tos_error = ptr::null_mut();
        assert_eq!(
            tos_client_new(&opts, &mut client, &mut error),
            tos_result::TOS_ERR_STRUCT_SIZE
        );
        let (code, message) = take_error(error);
        assert_eq!(code, tos_result::TOS_ERR_STRUCT_SIZE);
        assert!(message.contains("options->struct_size"), "{message}");
    }
}
