//! The committed include/tosupload.h must be exactly what the pinned cbindgen (0.29.4, a
//! dev-dependency) generates from src/ with cbindgen.toml. To update it after changing
//! the C API: `TOSUPLOAD_BLESS=1 cargo test --test header_is_current`.

use std::path::Path;

const HEADER: &str = "include/tosupload.h";

fn generate() -> String {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(top.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(top)
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen wrote UTF-8")
}

#[test]
fn header_is_current() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = top.join(HEADER);
    let fresh = generate();
    if std::env::var_os("TOSUPLOAD_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write the header");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let first_diff = committed
            .lines()
            .zip(fresh.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| {
                format!(
                    "first difference at line {}:\n  committed: {a}\n  generated: {b}",
                    i + 1
                )
            })
            .unwrap_or_else(|| "one is a prefix of the other".into());
        panic!(
            "{HEADER} is out of date with src/ (cbindgen 0.29.4).\n{first_diff}\n\
             Regenerate it with: TOSUPLOAD_BLESS=1 cargo test --test header_is_current"
        );
    }
}

#[test]
fn version_macros_match_the_crate() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(HEADER))
        .expect("read the header");
    for (name, value) in [
        ("TOS_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("TOS_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("TOS_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define {name} {value}");
        assert!(
            header.lines().any(|l| l.trim() == line),
            "{HEADER} lacks `{line}`: update after_includes in cbindgen.toml to the crate version, then regenerate"
        );
    }
    let num = |v: &str| v.parse::<u32>().expect("a numeric version component");
    let expected = num(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
        + num(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + num(env!("CARGO_PKG_VERSION_PATCH"));
    let line = format!("#define TOS_VERSION_NUM {expected}");
    assert!(
        header.lines().any(|l| l.trim() == line),
        "{HEADER} lacks `{line}` (MAJOR*10000 + MINOR*100 + PATCH): update after_includes in cbindgen.toml"
    );
}

/// Every function declaration carries the export macro, which cbindgen's [fn] prefix adds:
/// a function without it would vanish from a program built with -fvisibility=hidden.
#[test]
fn every_function_is_marked_tos_api() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(HEADER))
        .expect("read the header");
    let mut functions = 0;
    let mut previous = "";
    for line in header.lines() {
        let is_declaration = !line.starts_with(' ')
            && !line.starts_with('#')
            && !line.starts_with("typedef")
            && line.contains(" tos_")
            && line.contains('(');
        if is_declaration {
            functions += 1;
            // cbindgen puts the prefix on a line of its own before a long declaration.
            assert!(
                line.starts_with("TOS_API ") || previous == "TOS_API",
                "not marked TOS_API: {line}"
            );
        }
        previous = line;
    }
    assert!(
        functions > 20,
        "found only {functions} function declarations in {HEADER}"
    );
}
