//! Automatic concurrency (`task_num = 0`): how many parts to send at once, found by
//! measuring while the upload runs. Across the Internet one connection is held back by its
//! TCP window and by middleboxes, so the number of connections decides the speed; on
//! loopback or a LAN a few are enough and more only cost memory and server slots.
//!
//! The search has the shape of TCP's slow start: start at `START_TASKS`, double while a
//! doubling raises the aggregate rate by at least `MIN_GAIN`, and when one does not, go back
//! to the count before it and stop.
//!
//! The rate is measured on parts the server confirmed, never on bytes handed to the socket:
//! a socket buffer swallows megabytes at once (a whole small part) long before the link has
//! carried them. Each part started at a given count gives its own rate, size over time from
//! its start to its receipt; the aggregate is the count times their mean, judged once as
//! many parts as there are tasks have been confirmed.
//!
//! Judging on confirmed parts costs a whole part's time per step, and a part started at a
//! low count stays on its one connection to the end: a 1 GiB file of 20 MiB parts at 40 ms
//! and 200 Mbit/s a connection was done before the search passed 16, at a quarter of what 64
//! parts at once reached. So the search begins with a probe of the start count's connections,
//! on the bytes they hand to their sockets once each has sent more than its socket buffers
//! take at once (`PROBE_SKIP`). Where one connection is held far below what the link may carry
//! (a window per round trip, a middlebox), the count jumps at once to what would reach
//! `PROBE_AIM` at that speed, and from there the search runs downwards: it halves while the
//! half confirms as much (within `MIN_GAIN`), and stops at the last count that did. On
//! loopback or a LAN one connection is fast, the probe asks for no more than the first
//! doubling, and the search runs upwards from the start count as above.

use std::time::{Duration, Instant};

/// The former fixed default: where one connection already fills the link (loopback, a LAN),
/// the search costs only the one doubling it tries.
pub const START_TASKS: usize = 4;
/// The memory bound: each part in flight holds a read buffer and a connection.
pub const MAX_AUTO_TASKS: usize = 64;
const MIN_GAIN: f64 = 0.10;
/// TOS's documented upload ceiling for an account in a region, 10 Gbit/s.
pub const TARGET_RATE: f64 = 1.25e9;
/// What the jump aims at: an early window can see up to about twice what the link carries
/// (what the socket buffers still take, a path's first burst). Too many parts at once cost
/// memory until the downward search has halved them; too few cost a whole round of parts.
const PROBE_AIM: f64 = 2.0 * TARGET_RATE;
/// Bytes each connection hands over before the probe's window opens: about what a new
/// connection's socket buffers take at once (send buffer, the peer's receive window), which
/// says nothing about the link.
const PROBE_SKIP: u64 = 1 << 20;
/// Bytes each connection hands over inside the probe's window, and its shortest length.
const PROBE_BYTES: u64 = 1 << 20;
const PROBE_MIN_WINDOW: Duration = Duration::from_millis(50);

/// What the tuner asks of the coordinator after a part is confirmed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    Keep,
    /// Run this many workers from now on; `rate` (bytes per second) was measured at the
    /// previous count.
    Change {
        tasks: usize,
        rate: f64,
    },
    /// The search is over at `tasks`; `rate` was measured at the count just tried.
    Settled {
        tasks: usize,
        rate: f64,
    },
}

#[derive(Debug)]
pub struct TaskTuner {
    tasks: usize,
    max: usize,
    /// The search never goes below the count it started at.
    floor: usize,
    /// Each step multiplies (or, downwards, divides) the count by this (2 for parts, as slow
    /// start does).
    growth: usize,
    /// Whether the search runs downwards from a jump.
    downwards: bool,
    /// The last accepted count and the rate it reached.
    previous: Option<(usize, f64)>,
    /// Parts started before this were sent partly at another count: not counted.
    since: Instant,
    /// Rates (bytes per second) of the parts started at the current count.
    samples: Vec<f64>,
    done: bool,
    /// The probe of the start count's send rate, until it has decided or a judgement came first.
    probe: Option<Probe>,
}

#[derive(Debug, Default)]
struct Probe {
    sent: u64,
    /// When the window opened, and `sent` then.
    window: Option<(Instant, u64)>,
}

impl TaskTuner {
    /// `max`: the most workers allowed (connection cap, memory bound, parts to send).
    pub fn new(max: usize, now: Instant) -> TaskTuner {
        Self::with_steps(max, now, START_TASKS, 2)
    }

    /// Starts at `start` and multiplies by `growth` per step: whole small files cost a round
    /// trip each, so their search starts wider and takes bigger steps (`upload_dir::auto_files`).
    pub fn with_steps(max: usize, now: Instant, start: usize, growth: usize) -> TaskTuner {
        let max = max.max(1);
        let start = start.clamp(1, max);
        TaskTuner {
            tasks: start,
            max,
            floor: start,
            growth: growth.max(2),
            downwards: false,
            previous: None,
            since: now,
            samples: Vec::new(),
            done: false,
            probe: Some(Probe::default()),
        }
    }

    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// `bytes` more were handed to the connections at `now`; `parts_left` have not started.
    /// Only the probe at the start count listens.
    pub fn sent(&mut self, bytes: u64, now: Instant, parts_left: usize) -> Decision {
        let tasks = self.tasks as u64;
        let Some(probe) = self.probe.as_mut().filter(|_| !self.done) else {
            return Decision::Keep;
        };
        probe.sent += bytes;
        let Some((opened, sent_then)) = probe.window else {
            if probe.sent >= tasks * PROBE_SKIP {
                probe.window = Some((now, probe.sent));
            }
            return Decision::Keep;
        };
        let in_window = probe.sent - sent_then;
        let took = now.duration_since(opened);
        if in_window < tasks * PROBE_BYTES || took < PROBE_MIN_WINDOW {
            return Decision::Keep;
        }
        self.probe = None;
        let per_task = in_window as f64 / took.as_secs_f64() / tasks as f64;
        let wanted = (PROBE_AIM / per_task).ceil() as usize;
        // A last round of a few parts would cost a whole part's time; past the link's
        // capacity, more parts at once only share it.
        let all = self.tasks + parts_left;
        let wanted = if wanted * 3 >= all * 2 { all } else { wanted };
        let next = wanted.min(self.max).min(all);
        if next <= self.tasks * self.growth {
            return Decision::Keep;
        }
        self.downwards = true;
        self.tasks = next;
        self.since = now;
        self.samples.clear();
        Decision::Change {
            tasks: next,
            rate: per_task * tasks as f64,
        }
    }

    /// A part of `size` bytes, started at `started`, was confirmed at `now`; `parts_left`
    /// parts have not started yet, which bounds how many more workers could have work.
    pub fn part_done(
        &mut self,
        size: u64,
        started: Instant,
        now: Instant,
        parts_left: usize,
    ) -> Decision {
        if self.done || started < self.since {
            return Decision::Keep;
        }
        let took = now.duration_since(started).max(Duration::from_micros(100));
        self.samples.push(size as f64 / took.as_secs_f64());
        if self.samples.len() < self.tasks {
            return Decision::Keep;
        }
        let mean = self.samples.iter().sum::<f64>() / self.samples.len() as f64;
        let rate = mean * self.tasks as f64;
        self.probe = None;
        if self.downwards {
            self.judge_downwards(rate, now)
        } else {
            self.judge(rate, now, parts_left)
        }
    }

    fn judge(&mut self, rate: f64, now: Instant, parts_left: usize) -> Decision {
        if let Some((before, before_rate)) = self.previous {
            if rate < before_rate * (1.0 + MIN_GAIN) {
                return self.settle(before, rate);
            }
        }
        self.previous = Some((self.tasks, rate));
        // Workers beyond the parts still waiting would find nothing to send.
        let next = (self.tasks * self.growth)
            .min(self.max)
            .min(self.tasks + parts_left);
        if next <= self.tasks {
            return self.settle(self.tasks, rate);
        }
        self.step(next, now, rate)
    }

    /// After a jump: halve while the half confirms as much as the count above it.
    fn judge_downwards(&mut self, rate: f64, now: Instant) -> Decision {
        if let Some((above, above_rate)) = self.previous {
            if rate < above_rate * (1.0 - MIN_GAIN) {
                return self.settle(above, rate);
            }
        }
        self.previous = Some((self.tasks, rate));
        let next = (self.tasks / self.growth).max(self.floor);
        if next >= self.tasks {
            return self.settle(self.tasks, rate);
        }
        self.step(next, now, rate)
    }

    fn step(&mut self, tasks: usize, now: Instant, rate: f64) -> Decision {
        self.tasks = tasks;
        self.since = now;
        self.samples.clear();
        Decision::Change { tasks, rate }
    }

    fn settle(&mut self, tasks: usize, rate: f64) -> Decision {
        self.done = true;
        self.tasks = tasks;
        Decision::Settled { tasks, rate }
    }
}

#[cfg(test)]
mod tests {
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
                if let Decision::Settled { tasks, .. } =
                    tuner.part_done(1_000_000, started, now, 1000)
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
                if let Decision::Change { tasks, .. } =
                    tuner.sent(moved as u64, now, parts - next_part)
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
                if let Decision::Settled { tasks, .. } =
                    tuner.part_done(1_000_000, started, now, 1000)
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
}
