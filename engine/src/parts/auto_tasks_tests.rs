//! The search's unit tests: modelled links and windows of confirmations.

use super::*;

/// Drives the tuner against a link where each connection moves at most `per_task` bytes
/// per second and all together at most `ceiling`, with 1 MB parts; returns where it
/// settles.
fn settle(per_task: f64, ceiling: f64, max: usize) -> usize {
    let mut now = Instant::now();
    let mut tuner = TaskTuner::new(max, now);
    for _ in 0..10_000 {
        let tasks = tuner.tasks();
        let rate = per_task.min(ceiling / tasks as f64);
        let took = Duration::from_secs_f64(1e6 / rate);
        let started = now;
        now += took;
        for _ in 0..tasks {
            if let Decision::Settled { tasks, .. } = tuner.part_done(1_000_000, started, now, 1000)
            {
                return tasks;
            }
        }
    }
    panic!("never settled");
}

#[test]
fn grows_to_the_aggregate_cap_and_not_past_it() {
    // 25 MB/s per connection, 250 MB/s in total: 16 reach the cap, 32 add nothing.
    assert_eq!(settle(25e6, 250e6, MAX_AUTO_TASKS), 16);
    // A few connections already fill the link: stay at the start.
    assert_eq!(settle(2e9, 2e9, MAX_AUTO_TASKS), START_TASKS);
    // Unbounded gains stop at the cap.
    assert_eq!(settle(1e6, f64::MAX, 20), 20);
    assert_eq!(settle(1e6, f64::MAX, 2), 2);
}

#[test]
fn parts_started_before_a_change_do_not_count() {
    let start = Instant::now();
    let mut tuner = TaskTuner::new(64, start);
    let later = start + Duration::from_secs(1);
    for _ in 0..START_TASKS - 1 {
        assert_eq!(
            tuner.part_done(1_000_000, start, later, 100),
            Decision::Keep
        );
    }
    let Decision::Change { tasks, .. } = tuner.part_done(1_000_000, start, later, 100) else {
        panic!("no change");
    };
    assert_eq!(tasks, 2 * START_TASKS);
    // A part that began before the change says nothing about the new count.
    for _ in 0..100 {
        assert_eq!(tuner.part_done(1, start, later, 100), Decision::Keep);
    }
}

#[test]
fn never_more_workers_than_parts_left() {
    let start = Instant::now();
    let mut tuner = TaskTuner::new(64, start);
    let later = start + Duration::from_secs(1);
    for _ in 0..START_TASKS - 1 {
        tuner.part_done(1_000_000, start, later, 1);
    }
    match tuner.part_done(1_000_000, start, later, 1) {
        Decision::Change { tasks, .. } => assert_eq!(tasks, START_TASKS + 1),
        other => panic!("{other:?}"),
    }
}

/// Runs a whole upload of `parts` parts of `part` bytes over the link of `settle`, in
/// 5 ms steps, the way the coordinator drives the tuner (`tasks` fixed, or `None` for
/// automatic): the probe hears every step's bytes, each confirmed part is judged, workers
/// above the count retire between parts. Returns the seconds it took and the most workers.
fn upload(
    per_task: f64,
    ceiling: f64,
    parts: usize,
    part: u64,
    tasks: Option<usize>,
) -> (f64, usize) {
    let step = Duration::from_millis(5);
    let start = Instant::now();
    let mut now = start;
    let mut tuner = TaskTuner::new(MAX_AUTO_TASKS.min(parts), now);
    let mut target = tasks.unwrap_or_else(|| tuner.tasks());
    let mut next_part = 0;
    // (bytes left of its part, when the part started)
    let mut workers: Vec<(f64, Instant)> = Vec::new();
    let mut most = 0;
    let mut confirmed = 0;
    while confirmed < parts {
        while workers.len() < target && next_part < parts {
            workers.push((part as f64, now));
            next_part += 1;
        }
        most = most.max(workers.len());
        let each = per_task.min(ceiling / workers.len() as f64) * step.as_secs_f64();
        now += step;
        let moved: f64 = workers.iter().map(|w| w.0.min(each)).sum();
        for w in workers.iter_mut() {
            w.0 -= w.0.min(each);
        }
        if tasks.is_none() {
            if let Decision::Change { tasks, .. } = tuner.sent(moved as u64, now, parts - next_part)
            {
                target = tasks;
            }
        }
        let mut i = 0;
        while i < workers.len() {
            if workers[i].0 > 0.0 {
                i += 1;
                continue;
            }
            let (_, started) = workers.swap_remove(i);
            confirmed += 1;
            if tasks.is_none() {
                match tuner.part_done(part, started, now, parts - next_part) {
                    Decision::Change { tasks, .. } | Decision::Settled { tasks, .. } => {
                        target = tasks
                    }
                    Decision::Keep => {}
                }
            }
            if workers.len() >= target || next_part >= parts {
                continue;
            }
            workers.push((part as f64, now));
            next_part += 1;
        }
    }
    (now.duration_since(start).as_secs_f64(), most)
}

const MIB20: u64 = 20 << 20;

#[test]
fn a_wide_link_is_reached_within_the_first_parts() {
    // 1 GiB in 20 MiB parts, 200 Mbit/s a connection, 10 Gbit/s in all: the best fixed
    // count runs every part at once. Judging on confirmed parts alone reached 0.25 x that;
    // now the search costs the probe's window (skip and window at 25 MB/s a connection,
    // about 0.1 s) on top of the 0.9 s the parts take.
    let (best, _) = upload(25e6, 1.25e9, 52, MIB20, Some(64));
    let (auto, most) = upload(25e6, 1.25e9, 52, MIB20, None);
    assert!(
        auto <= best + 0.12,
        "automatic {auto:.3} s, 64 tasks {best:.3} s"
    );
    assert_eq!(most, 52);
}

/// Feeds the probe `per_task` a connection until it decides, then runs rounds of parts
/// as `settle` does; returns the jump and where the search settles.
fn settle_after_probe(per_task: f64, ceiling: f64) -> (usize, usize) {
    let mut now = Instant::now();
    let mut tuner = TaskTuner::new(MAX_AUTO_TASKS, now);
    let mut steps = 0;
    let jump = loop {
        steps += 1;
        assert!(steps < 10_000, "the probe never decided");
        now += Duration::from_millis(5);
        let bytes = per_task * START_TASKS as f64 * 0.005;
        match tuner.sent(bytes as u64, now, 1000) {
            Decision::Keep => {}
            Decision::Change { tasks, .. } => break tasks,
            other => panic!("{other:?}"),
        }
    };
    for _ in 0..100 {
        let tasks = tuner.tasks();
        let rate = per_task.min(ceiling / tasks as f64);
        let started = now;
        now += Duration::from_secs_f64(1e6 / rate);
        for _ in 0..tasks {
            if let Decision::Settled { tasks, .. } = tuner.part_done(1_000_000, started, now, 1000)
            {
                return (jump, tasks);
            }
        }
    }
    panic!("never settled");
}

#[test]
fn a_jump_on_a_narrow_link_comes_back_to_what_it_carries() {
    // 2 Gbit/s in all: the probe sees 25 MB/s a connection and jumps to the cap; halving
    // keeps the rate down to 16, 8 lose it: 16, as the upward search finds, with no loss
    // against the best fixed count for a large file.
    assert_eq!(settle_after_probe(25e6, 250e6), (MAX_AUTO_TASKS, 16));
    // A jump that gains nothing (one narrow uplink for all) comes back to the start.
    assert_eq!(
        settle_after_probe(25e6, 100e6),
        (MAX_AUTO_TASKS, START_TASKS)
    );
    let (best, _) = upload(25e6, 250e6, 500, MIB20, Some(16));
    let (auto, _) = upload(25e6, 250e6, 500, MIB20, None);
    assert!(
        auto <= best * 1.1,
        "automatic {auto:.2} s, 16 tasks {best:.2} s"
    );
}

#[test]
fn a_fast_connection_makes_no_jump() {
    // Loopback: one connection moves gigabytes a second, so the probe asks for no more
    // than the first doubling and the search goes on from the start count.
    let mut now = Instant::now();
    let mut tuner = TaskTuner::new(64, now);
    for _ in 0..1000 {
        now += Duration::from_millis(1);
        assert_eq!(tuner.sent(8_000_000, now, 1000), Decision::Keep);
    }
    assert_eq!(tuner.tasks(), START_TASKS);
    let (auto, most) = upload(2e9, 2e9, 52, MIB20, None);
    let (fixed, _) = upload(2e9, 2e9, 52, MIB20, Some(START_TASKS));
    assert!(most <= 2 * START_TASKS, "{most}");
    assert!(
        auto <= fixed * 1.1,
        "automatic {auto:.3} s, {START_TASKS} tasks {fixed:.3} s"
    );
}

#[test]
fn the_rate_is_bytes_over_time_not_the_mean_of_each_rate() {
    // Two parts at once, one of 1 MB in 10 ms and one in 1 s: 2 MB in 1.01 s of part
    // time, by Little's law 3.96 MB/s for the two; the mean of their rates said 101.
    let start = Instant::now();
    let mut tuner = TaskTuner::with_steps(64, start, 2, 2);
    let later = start + Duration::from_secs(2);
    let fast = later - Duration::from_millis(10);
    let slow = later - Duration::from_secs(1);
    assert_eq!(tuner.part_done(1_000_000, fast, later, 100), Decision::Keep);
    let Decision::Change { rate, .. } = tuner.part_done(1_000_000, slow, later, 100) else {
        panic!("no change");
    };
    assert!((rate - 3.96e6).abs() < 0.01e6, "{rate}");
}

#[test]
fn a_step_of_eight_times_must_pay_for_three_doublings() {
    // Files: 32, then 256. 20 % more for eight times the connections is not enough.
    let start = Instant::now();
    let mut tuner = TaskTuner::with_steps(256, start, 32, 8);
    let mut now = start + Duration::from_secs(1);
    for _ in 0..32 {
        tuner.part_done(1000, now - Duration::from_millis(10), now, 10_000);
    }
    assert_eq!(tuner.tasks(), 256);
    let since = now;
    now += Duration::from_secs(1);
    let mut last = Decision::Keep;
    for _ in 0..256 {
        // 256 files of 1000 bytes in 66.7 ms each: 3.84 MB/s against 3.2 at 32 (1.2 x).
        last = tuner.part_done(1000, now - Duration::from_micros(66_667), now, 10_000);
    }
    assert!(since < now);
    assert!(
        matches!(last, Decision::Settled { tasks: 32, .. }),
        "{last:?}"
    );
}

/// Feeds a window at the tuner's count: a first round of `tasks` files of `size` bytes
/// started at `start` that open their connections (`cold_ms` each), then files started on
/// open connections taking `warm_ms` in turn, until the tuner decides. Returns the decision
/// and when it came.
fn window(
    tuner: &mut TaskTuner,
    start: Instant,
    size: u64,
    cold_ms: f64,
    warm_ms: &[f64],
) -> (Decision, Instant) {
    let ms = |x: f64| Duration::from_secs_f64(x / 1e3);
    let first_done = start + ms(cold_ms);
    for _ in 0..tuner.tasks() {
        let decision = tuner.part_done(size, start, first_done, 10_000);
        if decision != Decision::Keep {
            return (decision, first_done);
        }
    }
    let mut started = first_done;
    for i in 0..100_000 {
        let took = ms(warm_ms[i % warm_ms.len()]);
        let decision = tuner.part_done(size, started, started + took, 10_000);
        if decision != Decision::Keep {
            return (decision, started + took);
        }
        started += ms(0.1);
    }
    panic!("no decision");
}

fn files_tuner(start: Instant) -> TaskTuner {
    TaskTuner::with_steps(256, start, 32, 8).with_queue_check()
}

#[test]
fn small_files_that_queue_at_the_start_count_stop_the_search() {
    // Loopback: once the connections are open, files take 5 ms on average and the
    // fastest 0.5: they wait for a busy host, and more at once would only wait longer.
    let start = Instant::now();
    let queued = [0.5, 5.0, 5.5, 6.0, 8.0];
    let (decision, _) = window(&mut files_tuner(start), start, 1024, 20.0, &queued);
    assert!(
        matches!(decision, Decision::Settled { tasks: 32, .. }),
        "{decision:?}"
    );
    // A 40 ms link: the first round takes two round trips and is judged before any file
    // ran on an open connection; the search goes on.
    let (decision, _) = window(&mut files_tuner(start), start, 1024, 85.0, &[40.0]);
    assert!(matches!(decision, Decision::Change { tasks: 256, .. }));
    // Larger files take their bytes' time, which says nothing of a queue.
    let (decision, _) = window(&mut files_tuner(start), start, 1 << 20, 20.0, &queued);
    assert!(matches!(decision, Decision::Change { tasks: 256, .. }));
    // Parts are not checked.
    let mut parts = TaskTuner::with_steps(256, start, 32, 8);
    let (decision, _) = window(&mut parts, start, 1024, 20.0, &queued);
    assert!(matches!(decision, Decision::Change { tasks: 256, .. }));
}

/// Steps from 32 to 256 on a first round of 85 ms, then judges 256 files at once whose
/// files on open connections take `warm_ms` in turn; returns where the search settles.
fn settle_after_a_step(warm_ms: &[f64]) -> usize {
    let start = Instant::now();
    let mut tuner = files_tuner(start);
    let (decision, at) = window(&mut tuner, start, 1024, 85.0, &[40.0]);
    assert!(matches!(decision, Decision::Change { tasks: 256, .. }));
    // The first round at 256 opens connections in about the time of one at 32, so 256
    // confirm far more than 32 did: the rate test alone would keep 256.
    match window(&mut tuner, at, 1024, 90.0, warm_ms) {
        (Decision::Settled { tasks, .. }, _) => tasks,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_stepped_up_count_whose_files_queue_comes_down_to_what_fills_the_path() {
    // Loopback at 256: 23 ms on average, the fastest 0.5 (43 x): back to the start count.
    assert_eq!(settle_after_a_step(&[0.54, 23.0, 23.5, 24.0, 24.5]), 32);
    // 5 ms and a host near its CPU's limit: 32.75 ms on average over 8 files, the fastest
    // 10 (3.3 x): twice 256 / 3.275 at once.
    let five_ms = [10.0, 36.0, 36.0, 36.0, 36.0, 36.0, 36.0, 36.0];
    assert_eq!(settle_after_a_step(&five_ms), 157);
    // 40 ms: every file takes about its round trip; 256 stay.
    assert_eq!(settle_after_a_step(&[40.9, 42.0, 42.5, 43.0]), 256);
}
