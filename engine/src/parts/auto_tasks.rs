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
//! carried them. Each part started at a given count gives its size and its time from its
//! start to its receipt; by Little's law the aggregate is the count times their bytes over
//! their time, judged once as many parts as there are tasks have been confirmed. (The mean
//! of each part's own rate, used before, is pulled up by the fastest: 256 small files at
//! once on loopback read as 11 MB/s where they moved 7.)
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
//!
//! Whole small files (`with_queue_check`) also watch for a queue. A small file's time is its
//! round trips when nothing waits; where the files that ran on open connections take many
//! times the fastest small file yet seen, the requests wait (for a busy host: loopback, a
//! LAN with the CPU at its limit) and more at once only wait longer. The rate test alone
//! cannot see it: the start count is judged on a run's first round, which opens every
//! connection and is slower than what follows, so on loopback 256 files at once always
//! looked better than 32, at twice the memory and no more speed. At the start count a clear
//! queue ends the search there; a stepped-up count is judged once some of its files ran on
//! open connections and, where they queue, cut to twice the count that fills the path
//! (`count_that_fills_the_path`).

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
/// A count is judged on at least this long of confirmations: 32 small files on loopback are
/// confirmed within a few milliseconds, where one scheduling delay of the host can make a
/// count look a third as fast as it is. Across a WAN a count's first round trip is longer.
const MIN_JUDGE_WINDOW: Duration = Duration::from_millis(30);
/// The queue check looks at files this small only: their time is round trips and waiting, not
/// bytes (64 KiB at 200 Mbit/s is 2.6 ms, under a 40 ms round trip's tenth).
const QUEUE_CHECK_MAX_SIZE: u64 = 64 << 10;
/// At the start count, the mean time of the small files on open connections over the fastest
/// one's past which the search stops before its first step (on loopback 2 to 9 at 32 files).
const QUEUED_RATIO: f64 = 4.0;
/// Small files on open connections a stepped-up count waits for before it is judged.
const WARM_SAMPLES: usize = 8;
/// A stepped-up count is cut to this many times the count that fills the path.
const QUEUE_HEADROOM: f64 = 2.0;

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
    /// How many parts started at the current count were confirmed, their bytes, and the
    /// seconds they took together.
    samples: usize,
    sampled_bytes: f64,
    sampled_seconds: f64,
    done: bool,
    /// The probe of the start count's send rate, until it has decided or a judgement came first.
    probe: Option<Probe>,
    /// Whether the search stops where small files queue (`with_queue_check`).
    queue_check: bool,
    /// When the first part started at the current count was confirmed: parts started after
    /// it found a connection open, those before paid for opening one.
    first_confirmed: Option<Instant>,
    /// The fastest small file (`QUEUE_CHECK_MAX_SIZE`) since the search began: the round
    /// trip with the least waiting. (Under a queue no file is fast, so each count's own
    /// fastest would hide it.)
    small_fastest: f64,
    /// Small files among the samples that started on an open connection, and their seconds
    /// together.
    warm_small: usize,
    warm_small_seconds: f64,
    /// Whether the current count has confirmed any small file.
    small_seen: bool,
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
            samples: 0,
            sampled_bytes: 0.0,
            sampled_seconds: 0.0,
            done: false,
            probe: Some(Probe::default()),
            queue_check: false,
            first_confirmed: None,
            small_fastest: f64::MAX,
            warm_small: 0,
            warm_small_seconds: 0.0,
            small_seen: false,
        }
    }

    /// Also stops growing once its small files' requests queue (see the module's notes).
    pub fn with_queue_check(mut self) -> TaskTuner {
        self.queue_check = true;
        self
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
        self.clear_samples();
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
        self.samples += 1;
        self.sampled_bytes += size as f64;
        self.sampled_seconds += took.as_secs_f64();
        if size <= QUEUE_CHECK_MAX_SIZE {
            self.small_seen = true;
            self.small_fastest = self.small_fastest.min(took.as_secs_f64());
            if self.first_confirmed.is_some_and(|first| started >= first) {
                self.warm_small += 1;
                self.warm_small_seconds += took.as_secs_f64();
            }
        }
        self.first_confirmed.get_or_insert(now);
        if self.samples < self.tasks || now.duration_since(self.since) < MIN_JUDGE_WINDOW {
            return Decision::Keep;
        }
        if self.waits_for_open_connections() {
            return Decision::Keep;
        }
        let rate = self.sampled_bytes / self.sampled_seconds * self.tasks as f64;
        self.probe = None;
        if self.downwards {
            self.judge_downwards(rate, now)
        } else {
            self.judge(rate, now, parts_left)
        }
    }

    fn judge(&mut self, rate: f64, now: Instant, parts_left: usize) -> Decision {
        if let Some((before, before_rate)) = self.previous {
            if rate < before_rate * (1.0 + self.min_gain()) {
                return self.settle(before, rate);
            }
        }
        if let Some(fills) = self.count_that_fills_the_path() {
            log::debug!(
                "automatic concurrency: at {} small files on open connections took {:.1} ms on \
                 average, the fastest {:.1} ms: their requests queue; {fills} at once fill the path",
                self.tasks,
                self.warm_small_seconds / self.warm_small as f64 * 1e3,
                self.small_fastest * 1e3
            );
            return self.settle(fills, rate);
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
        self.clear_samples();
        Decision::Change { tasks, rate }
    }

    /// A step of more than a doubling must pay `MIN_GAIN` for each doubling in it: eight times
    /// the connections and memory for 10 % more is within the noise of a shared host.
    fn min_gain(&self) -> f64 {
        MIN_GAIN * (self.growth as f64).log2()
    }

    /// With the queue check, where the small files on open connections queue: the count
    /// that fills the path without them. A file that waits `r` times the fastest one's time
    /// shares the path with about `r` others, so by Little's law `tasks / r` at once keep it
    /// as busy; twice that leaves room for the fastest being quick by chance. Measured warm
    /// means over the fastest at 256 files at once: 43 on loopback, 3.3 across 5 and 10 ms,
    /// 2.3 across 1 ms, 1.04 across 40 ms (`docs/throttling.md`).
    fn count_that_fills_the_path(&self) -> Option<usize> {
        if !self.queue_check || self.warm_small == 0 {
            return None;
        }
        let ratio = self.warm_small_seconds / self.warm_small as f64 / self.small_fastest;
        if self.previous.is_none() {
            // At the start count, only a clear queue stops the search before its first step.
            return (ratio > QUEUED_RATIO).then_some(self.tasks);
        }
        let fills = (QUEUE_HEADROOM * self.tasks as f64 / ratio).ceil() as usize;
        (fills < self.tasks).then(|| fills.max(self.floor))
    }

    /// A stepped-up count of small files is judged once some ran on open connections: its
    /// first round opened the connections the step added, which says nothing of a queue,
    /// and across a WAN the count runs meanwhile, so the wait costs no speed.
    fn waits_for_open_connections(&self) -> bool {
        self.queue_check
            && self.previous.is_some()
            && self.small_seen
            && self.warm_small < WARM_SAMPLES
    }

    fn clear_samples(&mut self) {
        self.samples = 0;
        self.sampled_bytes = 0.0;
        self.sampled_seconds = 0.0;
        self.first_confirmed = None;
        self.small_seen = false;
        self.warm_small = 0;
        self.warm_small_seconds = 0.0;
    }

    fn settle(&mut self, tasks: usize, rate: f64) -> Decision {
        self.done = true;
        self.tasks = tasks;
        Decision::Settled { tasks, rate }
    }
}

#[cfg(test)]
#[path = "auto_tasks_tests.rs"]
mod tests;
