//! Pieces of the `rooms` bin: the message a publisher sends, what each client checks about the
//! messages it receives (loss, duplicates, per-publisher order, one order for all), a small
//! latency histogram, and the few Redis replies the bin reads (`PING`, `INFO`).

use std::collections::HashMap;

/// Publishers a [`Tally`] tracks at most (the probe mask is one bit each).
pub const MAX_PUBLISHERS: usize = 64;

/// The text a publisher sends: `p<publisher> <step> <seq> <micros> ` followed by `.` up to
/// `len` bytes (never shorter than the fields).
pub fn message(publisher: usize, step: u32, seq: u64, micros: u64, len: usize) -> String {
    let mut text = format!("p{publisher} {step} {seq} {micros} ");
    if text.len() < len {
        text.extend(std::iter::repeat_n('.', len - text.len()));
    }
    text
}

/// The fields of a received [`message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// Publisher index, `0..publishers`.
    pub publisher: usize,
    /// Step the message belongs to (0: the readiness probe).
    pub step: u32,
    /// Per publisher and step, `0, 1, 2, ...`.
    pub seq: u64,
    /// Send time, microseconds since the run's common start.
    pub micros: u64,
}

fn number(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 19 {
        return None;
    }
    field.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// Parses a [`message`]; `None` when it is not one.
pub fn parse(text: &[u8]) -> Option<Published> {
    let rest = text.strip_prefix(b"p")?;
    let mut fields = rest.splitn(5, |&b| b == b' ');
    let publisher = usize::try_from(number(fields.next()?)?).ok()?;
    let step = u32::try_from(number(fields.next()?)?).ok()?;
    let seq = number(fields.next()?)?;
    let micros = number(fields.next()?)?;
    fields.next()?;
    Some(Published {
        publisher,
        step,
        seq,
        micros,
    })
}

/// Latency histogram: exact below 32 µs, then 32 buckets per power of two (each bucket at
/// most 1/32 = 3.1 % wide), up to `u32::MAX` µs.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((32 - SUB_BITS as usize) << SUB_BITS) + SUB as usize;

fn bucket(v: u64) -> usize {
    let v = v.min(u64::from(u32::MAX));
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros();
    let shift = exp - SUB_BITS;
    (((shift + 1) as usize) << SUB_BITS) + ((v >> shift) & (SUB - 1)) as usize
}

/// The largest value that lands in bucket `i`.
fn bucket_high(i: usize) -> u64 {
    if (i as u64) < 2 * SUB {
        return i as u64;
    }
    let shift = (i >> SUB_BITS) as u32 - 1;
    let low = (SUB + (i as u64 & (SUB - 1))) << shift;
    low + (1 << shift) - 1
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Records one value (µs).
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// Adds `other`'s values.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (exact), µs.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `p` quantile (`0.0..=1.0`) in µs: the top of the bucket holding the value of rank
    /// `ceil(p * count)`, so never below the true quantile and at most 3.1 % above it.
    /// `None` when empty.
    pub fn quantile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_high(i).min(self.max));
            }
        }
        Some(self.max)
    }
}

/// What one client saw of one step: which `(publisher, seq)` arrived, how often, in what
/// order, and how late.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    step: u32,
    /// Per publisher, a bitset of the sequence numbers seen.
    seen: Vec<Vec<u64>>,
    /// Per publisher, distinct sequence numbers seen.
    distinct: Vec<u64>,
    /// Per publisher, the highest sequence number seen.
    high: Vec<Option<u64>>,
    /// Messages of this step that had already been received.
    pub duplicates: u64,
    /// Messages of this step that arrived after a later one from the same publisher.
    pub reordered: u64,
    /// Messages of an earlier step, after it was counted (already counted lost there).
    pub late: u64,
    /// Messages that do not parse or name a publisher out of range.
    pub malformed: u64,
    /// Order-sensitive hash of the `(publisher, seq)` sequence: every client that received
    /// everything must have the same one when there is one order for all.
    pub order_hash: u64,
    /// Publish-to-delivery latency of the messages sent in the measured window.
    pub latency: Histogram,
    /// The measured window, µs: `from..until`.
    window: (u64, u64),
    /// Bit `p`: a probe (step 0) from publisher `p` arrived.
    pub probes: u64,
    /// Reads from the socket that returned data, and the frames they completed: how much
    /// the server batched its writes.
    pub reads: u64,
    /// See `reads`.
    pub frames: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Tally {
    /// Starts counting `step` for `publishers` publishers; latencies are kept for messages
    /// sent in `window` (µs, `from..until`). Keeps the probe mask.
    pub fn reset(&mut self, step: u32, publishers: usize, window: (u64, u64)) {
        let probes = self.probes;
        *self = Self {
            step,
            seen: vec![Vec::new(); publishers],
            distinct: vec![0; publishers],
            high: vec![None; publishers],
            order_hash: FNV_OFFSET,
            window,
            probes,
            ..Self::default()
        };
    }

    /// The step being counted.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// Counts one received message at `now` µs; returns whether it was a new message of
    /// this step.
    pub fn record(&mut self, m: Published, now: u64) -> bool {
        if m.step == 0 {
            if m.publisher < MAX_PUBLISHERS {
                self.probes |= 1 << m.publisher;
            }
            return false;
        }
        if m.step != self.step {
            self.late += 1;
            return false;
        }
        let p = m.publisher;
        if p >= self.seen.len() {
            self.malformed += 1;
            return false;
        }
        let Ok(seq) = usize::try_from(m.seq) else {
            self.malformed += 1;
            return false;
        };
        let bits = &mut self.seen[p];
        let (word, bit) = (seq / 64, 1u64 << (seq % 64));
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        if bits[word] & bit != 0 {
            self.duplicates += 1;
            return false;
        }
        bits[word] |= bit;
        self.distinct[p] += 1;
        match self.high[p] {
            Some(high) if m.seq < high => self.reordered += 1,
            _ => self.high[p] = Some(m.seq),
        }
        for x in [p as u64, m.seq] {
            self.order_hash = (self.order_hash ^ x).wrapping_mul(FNV_PRIME);
        }
        if (self.window.0..self.window.1).contains(&m.micros) {
            self.latency.record(now.saturating_sub(m.micros));
        }
        true
    }

    /// Messages of `expected[p]` (sequence numbers `0..expected[p]` per publisher) that were
    /// not received, and messages received with a sequence number beyond them.
    pub fn missing_and_unexpected(&self, expected: &[u64]) -> (u64, u64) {
        let mut missing = 0;
        let mut unexpected = 0;
        for (p, &want) in expected.iter().enumerate() {
            let Some(bits) = self.seen.get(p) else {
                missing += want;
                continue;
            };
            let within: u64 = bits
                .iter()
                .enumerate()
                .map(|(w, &word)| {
                    let first = w as u64 * 64;
                    let keep = match want.saturating_sub(first) {
                        0 => 0,
                        n if n >= 64 => u64::MAX,
                        n => (1u64 << n) - 1,
                    };
                    u64::from((word & keep).count_ones())
                })
                .sum();
            missing += want - within;
            unexpected += self.distinct[p] - within;
        }
        (missing, unexpected)
    }
}

/// How many clients' order differs from the most common one, among the clients that
/// received everything (`hashes` holds their [`Tally::order_hash`]).
pub fn order_mismatches(hashes: &[u64]) -> usize {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for &h in hashes {
        *counts.entry(h).or_default() += 1;
    }
    hashes.len() - counts.values().copied().max().unwrap_or(0)
}

/// Machine-wide CPU time, from `/proc/stat`, to tell how much of the machine other processes
/// took during a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineCpu {
    /// Ticks not idle: user, nice, system, irq, softirq and steal (taken by the hypervisor).
    pub busy: u64,
    /// All ticks, idle and iowait included.
    pub total: u64,
    /// The `cpuN` lines.
    pub cpus: usize,
}

impl MachineCpu {
    /// Parses the text of `/proc/stat`.
    pub fn parse(stat: &str) -> Option<Self> {
        let mut lines = stat.lines();
        let first = lines.next()?.strip_prefix("cpu ")?;
        let f: Vec<u64> = first
            .split_whitespace()
            .take(8)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let &[user, nice, system, idle, iowait, irq, softirq, steal] = f.as_slice() else {
            return None;
        };
        let cpus = lines
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count();
        let busy = user + nice + system + irq + softirq + steal;
        Some(Self {
            busy,
            total: busy + idle + iowait,
            cpus,
        })
    }

    /// Reads `/proc/stat` now.
    pub fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Cores kept busy between `earlier` and `self`.
    pub fn busy_cores_since(&self, earlier: &Self) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            return 0.0;
        }
        self.busy.saturating_sub(earlier.busy) as f64 / total as f64 * self.cpus as f64
    }
}

/// A RESP command as an array of bulk strings.
pub fn resp_command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// A complete RESP reply at the start of `buf`: simple string, error, integer or bulk
/// string. `Ok(None)` while incomplete.
///
/// # Errors
/// A Redis error reply, or a reply of another type.
pub fn resp_reply(buf: &[u8]) -> Result<Option<String>, String> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = String::from_utf8_lossy(&buf[1..line_end]).into_owned();
    match buf.first() {
        Some(b'+' | b':') => Ok(Some(line)),
        Some(b'-') => Err(format!("redis: {line}")),
        Some(b'$') => {
            let len: usize = line
                .parse()
                .map_err(|_| format!("bad bulk length {line:?}"))?;
            let start = line_end + 2;
            if buf.len() < start + len + 2 {
                return Ok(None);
            }
            Ok(Some(
                String::from_utf8_lossy(&buf[start..start + len]).into_owned(),
            ))
        }
        _ => Err(format!(
            "unexpected reply {:?}",
            String::from_utf8_lossy(buf)
        )),
    }
}

/// The counters of an `INFO` reply (`name:value` lines with an integer value), and the
/// `calls=` of each `cmdstat_NAME` line under the name `calls.NAME`.
pub fn info_counters(info: &str) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    for line in info.lines() {
        let Some((name, value)) = line.trim().split_once(':') else {
            continue;
        };
        if let Some(command) = name.strip_prefix("cmdstat_") {
            let calls = value
                .split(',')
                .find_map(|kv| kv.strip_prefix("calls="))
                .and_then(|v| v.parse().ok());
            if let Some(calls) = calls {
                out.insert(format!("calls.{command}"), calls);
            }
        } else if let Ok(value) = value.parse() {
            out.insert(name.to_owned(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_round_trips_at_the_requested_size() {
        let text = message(7, 3, 12_345, 987_654_321, 128);
        assert_eq!(text.len(), 128);
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(
            m,
            Published {
                publisher: 7,
                step: 3,
                seq: 12_345,
                micros: 987_654_321
            }
        );
        // Shorter than its fields: no padding, still parses.
        assert!(parse(message(1, 1, 1, 1, 0).as_bytes()).is_some());
        for bad in [&b"x1 1 1 1 "[..], b"p1 1 1", b"p1 a 1 1 ", b"p 1 1 1 ", b""] {
            assert_eq!(parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn histogram_buckets_are_contiguous_and_tight() {
        let check = |v: u64| {
            let b = bucket(v);
            assert!(b < BUCKETS);
            assert!(bucket_high(b) >= v, "{v}");
            assert!(bucket_high(b) as f64 <= v as f64 * 1.0325 + 1.0, "{v}");
            b
        };
        let mut last = 0;
        for v in 0..100_000u64 {
            let b = check(v);
            assert!(b == last || b == last + 1, "{v}");
            last = b;
        }
        assert_eq!(check(u64::from(u32::MAX)), BUCKETS - 1);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_bound_the_true_values() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=1000u64 {
            h.record(v * 100);
        }
        let p50 = h.quantile(0.50).unwrap();
        let p99 = h.quantile(0.99).unwrap();
        assert!((50_000..=51_600).contains(&p50), "{p50}");
        assert!((99_000..=100_000).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), Some(100_000));
        let mut other = Histogram::default();
        other.record(7);
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert_eq!(h.quantile(0.0), Some(7));
    }

    fn m(publisher: usize, step: u32, seq: u64) -> Published {
        Published {
            publisher,
            step,
            seq,
            micros: 1_000,
        }
    }

    #[test]
    fn tally_counts_loss_duplicates_and_reordering() {
        let mut t = Tally::default();
        t.reset(2, 2, (0, 1_001));
        for seq in [0, 1, 3, 2, 3, 5] {
            t.record(m(0, 2, seq), 1_500);
        }
        for seq in 0..4 {
            t.record(m(1, 2, seq), 1_500);
        }
        t.record(m(1, 1, 9), 1_500); // an earlier step
        t.record(m(0, 0, 0), 1_500); // a probe
        t.record(m(5, 2, 0), 1_500); // no such publisher
        assert_eq!(t.duplicates, 1);
        assert_eq!(t.reordered, 1);
        assert_eq!(t.late, 1);
        assert_eq!(t.malformed, 1);
        assert_eq!(t.probes, 1);
        // Publisher 0 sent 0..6: seq 4 is missing; publisher 1 sent 0..3: seq 3 is beyond.
        assert_eq!(t.missing_and_unexpected(&[6, 3]), (1, 1));
        assert_eq!(t.missing_and_unexpected(&[200, 4]), (195, 0));
        assert_eq!(t.latency.count(), 9);
        assert_eq!(t.latency.max(), 500);

        // Latency only for messages sent inside the window; counted all the same.
        t.reset(3, 1, (1_000, 2_000));
        for (seq, micros) in [(0, 999), (1, 1_000), (2, 1_999), (3, 2_000)] {
            assert!(t.record(
                Published {
                    micros,
                    ..m(0, 3, seq)
                },
                2_500
            ));
        }
        assert_eq!(t.latency.count(), 2);
        assert_eq!(t.missing_and_unexpected(&[4]), (0, 0));
    }

    #[test]
    fn order_hash_tells_orders_apart() {
        let run = |order: &[(usize, u64)]| {
            let mut t = Tally::default();
            t.reset(1, 2, (0, u64::MAX));
            for &(p, seq) in order {
                t.record(m(p, 1, seq), 0);
            }
            t.order_hash
        };
        let a = run(&[(0, 0), (1, 0), (0, 1), (1, 1)]);
        let b = run(&[(0, 0), (1, 0), (0, 1), (1, 1)]);
        let c = run(&[(1, 0), (0, 0), (0, 1), (1, 1)]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(order_mismatches(&[a, b, c, a]), 1);
        assert_eq!(order_mismatches(&[]), 0);
    }

    #[test]
    fn machine_cpu_counts_steal_as_busy() {
        let before = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n\
                      cpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n";
        let after = "cpu  200 0 100 900 100 0 0 100 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n\
                     cpu1 1 0 0 0 0 0 0 0 0 0\nctxt 5\n";
        let (a, b) = (
            MachineCpu::parse(before).unwrap(),
            MachineCpu::parse(after).unwrap(),
        );
        assert_eq!(a.cpus, 2);
        assert_eq!(b.busy - a.busy, 250);
        assert_eq!(b.total - a.total, 400);
        assert!((b.busy_cores_since(&a) - 1.25).abs() < 1e-9);
        assert_eq!(MachineCpu::parse("intr 1\n"), None);
    }

    #[test]
    fn reads_resp_replies_and_info() {
        assert_eq!(
            resp_command(&["INFO", "stats"]),
            b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n"
        );
        assert_eq!(resp_reply(b"+PONG\r\n").unwrap().as_deref(), Some("PONG"));
        assert_eq!(resp_reply(b"+PON").unwrap(), None);
        assert_eq!(resp_reply(b"$5\r\nab").unwrap(), None);
        assert!(resp_reply(b"-ERR no\r\n").is_err());
        let info = "# Stats\r\ntotal_commands_processed:42\r\ninstantaneous_ops_per_sec:0\r\n\
                    # Commandstats\r\ncmdstat_publish:calls=7,usec=10,usec_per_call=1.43\r\n\
                    role:master\r\n";
        let bulk = format!("${}\r\n{info}\r\n", info.len());
        let text = resp_reply(bulk.as_bytes()).unwrap().unwrap();
        let counters = info_counters(&text);
        assert_eq!(counters["total_commands_processed"], 42);
        assert_eq!(counters["calls.publish"], 7);
        assert!(!counters.contains_key("role"));
    }
}
