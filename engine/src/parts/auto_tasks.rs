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

use std::time::{Duration, Instant};

/// The former fixed default: where one connection already fills the link (loopback, a LAN),
/// the search costs only the one doubling it tries.
pub const START_TASKS: usize = 4;
/// The memory bound: each part in flight holds a read buffer and a connection.
pub const MAX_AUTO_TASKS: usize = 64;
const MIN_GAIN: f64 = 0.10;

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
    /// Each step multiplies the count by this (2 for parts, as slow start does).
    growth: usize,
    /// The last accepted count and the rate it reached.
    previous: Option<(usize, f64)>,
    /// Parts started before this were sent partly at another count: not counted.
    since: Instant,
    /// Rates (bytes per second) of the parts started at the current count.
    samples: Vec<f64>,
    done: bool,
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
        TaskTuner {
            tasks: start.clamp(1, max),
            max,
            growth: growth.max(2),
            previous: None,
            since: now,
            samples: Vec::new(),
            done: false,
        }
    }

    pub fn tasks(&self) -> usize {
        self.tasks
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
        self.judge(mean * self.tasks as f64, now, parts_left)
    }

    fn judge(&mut self, rate: f64, now: Instant, parts_left: usize) -> Decision {
        if let Some((before, before_rate)) = self.previous {
            if rate < before_rate * (1.0 + MIN_GAIN) {
                self.done = true;
                self.tasks = before;
                return Decision::Settled {
                    tasks: before,
                    rate,
                };
            }
        }
        self.previous = Some((self.tasks, rate));
        // Workers beyond the parts still waiting would find nothing to send.
        let next = (self.tasks * self.growth)
            .min(self.max)
            .min(self.tasks + parts_left);
        if next <= self.tasks {
            self.done = true;
            return Decision::Settled {
                tasks: self.tasks,
                rate,
            };
        }
        self.tasks = next;
        self.since = now;
        self.samples.clear();
        Decision::Change { tasks: next, rate }
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
}
