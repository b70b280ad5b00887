//! Property tests of the parsers that read untrusted state (the checkpoint loader, the
//! journal line decoder) and of the glob matcher: random input never panics, never takes
//! long, and whatever is accepted satisfies the rules the rest of the engine relies on.

use crate::upload::checkpoint::{self, Checkpoint, CheckpointPart, FileInfo, Loaded};
use crate::upload_dir::glob::Patterns;
use crate::upload_dir::journal;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Checked independently of `checkpoint_rules`, so a bug there cannot hide itself.
fn assert_invariants(cp: &Checkpoint) {
    assert!((1..=10_000).contains(&cp.parts.len()));
    assert!((5 * MIB..=5 * 1024 * MIB).contains(&cp.part_size));
    assert!(!cp.upload_id.is_empty() && cp.upload_id.len() <= 1024);
    let mut end: u64 = 0;
    for (i, part) in cp.parts.iter().enumerate() {
        assert_eq!(part.part_number as usize, i + 1);
        assert_eq!(part.offset, end);
        let last = i + 1 == cp.parts.len();
        assert!(part.part_size == cp.part_size || (last && part.part_size < cp.part_size));
        assert!(part.part_size > 0 || cp.parts.len() == 1);
        assert!(!part.is_completed || !part.etag.is_empty());
        end = end.checked_add(part.part_size).expect("no overflow");
    }
    assert_eq!(end, cp.file_info.size);
}

fn load_bytes(bytes: &[u8]) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp.upload");
    std::fs::write(&path, bytes).unwrap();
    checkpoint::load(&path)
}

fn check_loaded(loaded: Loaded) {
    if let Loaded::Found(cp) = loaded {
        assert_invariants(&cp);
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9\"]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("PartsInfo".to_string()),
                    Just("PartSize".to_string()),
                    Just("UploadID".to_string()),
                    "[A-Za-z]{1,10}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn size_choice() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(MIB),
        Just(5 * MIB),
        Just(5 * MIB + 1),
        Just(5 * 1024 * MIB),
        Just(5 * 1024 * MIB + 1),
        Just(u64::MAX),
        any::<u64>(),
        0..20 * MIB,
    ]
}

/// Checkpoint-shaped JSON, mostly near-valid, so the rules themselves are exercised.
fn near_valid() -> impl Strategy<Value = Value> {
    (
        size_choice(),
        prop::collection::vec((size_choice(), any::<bool>(), any::<bool>()), 0..24),
        any::<bool>(),
        any::<u64>(),
        "[a-f0-9]{0,40}",
    )
        .prop_map(|(part_size, parts, tile, size, upload_id)| {
            let mut offset: u64 = 0;
            let mut infos = Vec::new();
            for (i, (size, done, renumber)) in parts.into_iter().enumerate() {
                let size = if tile && size % 3 != 0 {
                    part_size
                } else {
                    size
                };
                infos.push(json!({
                    "PartNumber": if renumber && i % 5 == 4 { i } else { i + 1 },
                    "PartSize": size, "Offset": offset, "IsCompleted": done,
                    "ETag": if done { "\"e\"" } else { "" }
                }));
                offset = offset.wrapping_add(size);
            }
            let file_size = if tile { offset } else { size };
            json!({"Bucket": "b", "Key": "k", "UploadID": upload_id, "PartSize": part_size,
                   "FilePath": "f", "FileInfo": {"LastModified": 1, "Size": file_size},
                   "PartsInfo": infos})
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic_the_checkpoint_loader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_loaded(load_bytes(&bytes));
    }

    #[test]
    fn random_json_never_panics_the_checkpoint_loader(value in any_json()) {
        check_loaded(load_bytes(value.to_string().as_bytes()));
    }

    #[test]
    fn accepted_near_valid_checkpoints_keep_every_rule(value in near_valid()) {
        let text = value.to_string();
        check_loaded(load_bytes(text.as_bytes()));
        // Cut short, as a crash mid-write (of a non-atomic writer) would leave it.
        check_loaded(load_bytes(&text.as_bytes()[..text.len() / 2]));
    }

    #[test]
    fn journal_lines_never_panic_and_accepted_entries_are_plausible(
        line in ".{0,200}",
        json in any_json(),
        relative in "[a-z./]{0,12}",
        etag in "[ -~]{0,6}",
        nanos in any::<u32>(),
    ) {
        let _ = journal::decode(&line);
        for json in [
            json.to_string(),
            json!({"relative": relative, "size": 1, "mtime": 1, "mtime_nanos": nanos,
                   "etag": etag, "crc64": 2}).to_string(),
        ] {
            let line = format!("{:016x} {json}", tos_crc64::checksum(json.as_bytes()));
            if let Some(entry) = journal::decode(&line) {
                prop_assert!(!entry.relative.is_empty() && !entry.relative.starts_with('/'));
                prop_assert!(!entry.relative.split('/').any(|s| s == ".." || s.is_empty()));
                prop_assert!(!entry.etag.is_empty() && entry.mtime_nanos < 1_000_000_000);
            }
        }
    }

    #[test]
    fn random_patterns_never_panic_and_match_quickly(
        patterns in prop::collection::vec("[ab*?/\\[\\]!{},\\\\-]{0,24}", 0..4),
        path in "[ab/]{0,300}",
    ) {
        let started = Instant::now();
        if let Ok(set) = Patterns::new(&patterns) {
            let _ = set.matches(&path);
        }
        prop_assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn the_invariants_accept_what_the_engine_writes() {
    let mut cp = Checkpoint {
        bucket: "b".into(),
        key: "k".into(),
        upload_id: "u1".into(),
        part_size: 5 * MIB,
        file_path: "f".into(),
        file_info: FileInfo {
            size: 12 * MIB,
            ..FileInfo::default()
        },
        parts: crate::upload::part_layout::layout(12 * MIB, 5 * MIB),
        ..Checkpoint::default()
    };
    assert_invariants(&cp);
    cp.parts.push(CheckpointPart::default());
    assert!(checkpoint::validate(&cp).is_err());
}
