//! The rooms' layout in Redis, and the pure rules on it: keys, the publish script, stream
//! ids, reading positions and gap detection. No connection here; `tests.rs` covers it.
//!
//! A room is three kinds of keys sharing one hash tag (so Redis Cluster keeps them on one
//! node and the script may touch them together):
//! - `{PREFIX:room:NAME}`: a stream, one entry per message, fields `n` (the room's message
//!   number, 1, 2, ...), `k` (`t` text or `b` binary), `d` (the payload); trimmed to about
//!   the retention;
//! - `{PREFIX:room:NAME}:n`: the room's message counter;
//! - `{PREFIX:room:NAME}:p:PUBLISHER`: the highest publish sequence number of one
//!   publisher (one `Hub`) applied to the room, which makes a retried publish a no-op.

use std::time::Duration;

use bytes::Bytes;
use redis::Value;

use crate::rooms::{Gap, GapReason};

/// Publishes one message exactly once: skipped when this publisher's sequence number was
/// already applied to the room (a retry after a lost reply), else numbered and appended.
/// KEYS: stream, counter, publisher's mark. ARGV: publish sequence, kind, payload,
/// retention (entries), time to live (seconds). Returns the message number, or 0 if skipped.
pub(super) const PUBLISH_SCRIPT: &str = r"
local last = redis.call('GET', KEYS[3])
if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[5])
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'n', n, 'k', ARGV[2], 'd', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return n
";

/// The key names of one deployment (one prefix).
#[derive(Clone, Debug)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub(super) fn stream(&self, room: &str) -> String {
        format!("{{{}:room:{room}}}", self.prefix)
    }

    pub(super) fn counter(&self, room: &str) -> String {
        format!("{}:n", self.stream(room))
    }

    pub(super) fn publisher_mark(&self, room: &str, publisher: &str) -> String {
        format!("{}:p:{publisher}", self.stream(room))
    }
}

/// A stream entry id, `MILLISECONDS-SEQUENCE`; ids only grow within a stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::native::rooms) struct StreamId {
    pub(super) ms: u64,
    pub(super) seq: u64,
}

impl StreamId {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-')?;
        Some(Self {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Where this node reads a room from: the last entry it delivered (or the point it joined
/// at), and that entry's message number once known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::native::rooms) struct Cursor {
    pub(super) id: StreamId,
    pub(super) number: Option<u64>,
}

impl Cursor {
    /// The position of a room as Redis reported it: its newest entry (none: the start) and
    /// its counter (none: no message yet).
    pub(super) fn at(newest: Option<StreamId>, counter: Option<u64>) -> Self {
        Self {
            id: newest.unwrap_or_default(),
            number: Some(counter.unwrap_or(0)),
        }
    }

    /// A position from a clock reading in Unix milliseconds, when Redis cannot be asked:
    /// everything appended from then on is read; the first number read is taken as is.
    pub(super) fn from_clock(unix_ms: u64) -> Self {
        Self {
            id: StreamId {
                ms: unix_ms,
                seq: 0,
            },
            number: None,
        }
    }

    /// Moves past an entry read with message `number`; returns the gap before it, if any.
    /// A counter that starts again from 1 is a gap only if the room was not idle long enough
    /// for its keys to expire (`ttl`).
    pub(super) fn advance(
        &mut self,
        room: &str,
        id: StreamId,
        number: u64,
        ttl: Duration,
    ) -> Option<Gap> {
        let gap = self.number.and_then(|last| {
            let expected = last + 1;
            if number > expected {
                Some(gap(room, GapReason::Trimmed, Some(number - expected)))
            } else if number < expected && !expired(self.id.ms, id.ms, ttl) {
                Some(gap(room, GapReason::Reset, None))
            } else {
                None
            }
        });
        self.id = id;
        self.number = Some(number);
        gap
    }

    /// After a reconnect: checks the room's counter against this position. A counter below
    /// it means the room's stream was created again, after Redis lost its data (a gap) or
    /// after its keys expired while it was idle (none): every entry of the new stream is
    /// then read from its start, whatever the ids of the old one were.
    pub(super) fn check_counter(
        &mut self,
        room: &str,
        counter: Option<u64>,
        now_ms: u64,
        ttl: Duration,
    ) -> Option<Gap> {
        let last = self.number?;
        if counter.unwrap_or(0) >= last {
            return None;
        }
        let lost = !expired(self.id.ms, now_ms, ttl);
        *self = Self {
            id: StreamId::default(),
            number: None,
        };
        lost.then(|| gap(room, GapReason::Reset, None))
    }
}

fn expired(last_ms: u64, now_ms: u64, ttl: Duration) -> bool {
    now_ms.saturating_sub(last_ms) >= u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

fn gap(room: &str, reason: GapReason, missed: Option<u64>) -> Gap {
    Gap {
        room: room.to_owned(),
        reason,
        missed,
    }
}

/// One message as read from a room's stream.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) id: StreamId,
    pub(super) number: u64,
    pub(super) text: bool,
    pub(super) payload: Bytes,
}

/// The entries of an `XREAD` reply, by stream key; nil (timed out or unblocked) is none.
/// Entries this crate did not write (fields missing) are skipped with a warning.
pub(super) fn parse_xread(reply: Value) -> Result<Vec<(String, Vec<Entry>)>, String> {
    let streams: Vec<(Value, Value)> = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Array(pair) if pair.len() == 2 => {
                    let mut pair = pair.into_iter();
                    Ok((
                        pair.next().unwrap_or(Value::Nil),
                        pair.next().unwrap_or(Value::Nil),
                    ))
                }
                other => Err(format!("unexpected XREAD stream: {other:?}")),
            })
            .collect::<Result<_, _>>()?,
        Value::Map(pairs) => pairs,
        other => return Err(format!("unexpected XREAD reply: {other:?}")),
    };
    streams
        .into_iter()
        .map(|(key, entries)| {
            let key = string(&key).ok_or("XREAD stream key is not a string")?;
            let Value::Array(entries) = entries else {
                return Err(format!("unexpected XREAD entries of {key}"));
            };
            let entries = entries
                .into_iter()
                .filter_map(|entry| parse_entry(&key, entry))
                .collect();
            Ok((key, entries))
        })
        .collect()
}

fn parse_entry(key: &str, entry: Value) -> Option<Entry> {
    let parsed = (|| {
        let Value::Array(parts) = entry else {
            return None;
        };
        let [id, Value::Array(fields)] = <[Value; 2]>::try_from(parts).ok()? else {
            return None;
        };
        let id = StreamId::parse(&string(&id)?)?;
        let (mut number, mut text, mut payload) = (None, None, None);
        for pair in fields.chunks_exact(2) {
            match string(&pair[0])?.as_str() {
                "n" => number = string(&pair[1])?.parse().ok(),
                "k" => text = Some(string(&pair[1])? == "t"),
                "d" => payload = bytes(&pair[1]),
                _ => {}
            }
        }
        Some(Entry {
            id,
            number: number?,
            text: text?,
            payload: payload?,
        })
    })();
    if parsed.is_none() {
        tracing::warn!(target: "squall::rooms", stream = key, "skipped a stream entry not written by squall");
    }
    parsed
}

/// The newest id of an `XREVRANGE ... COUNT 1` reply, if the stream has an entry.
pub(super) fn newest_id(reply: &Value) -> Option<StreamId> {
    let Value::Array(entries) = reply else {
        return None;
    };
    let Value::Array(entry) = entries.first()? else {
        return None;
    };
    StreamId::parse(&string(entry.first()?)?)
}

pub(super) fn string(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(data) => String::from_utf8(data.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        Value::Int(number) => Some(number.to_string()),
        _ => None,
    }
}

fn bytes(value: &Value) -> Option<Bytes> {
    match value {
        Value::BulkString(data) => Some(Bytes::copy_from_slice(data)),
        Value::SimpleString(text) => Some(Bytes::copy_from_slice(text.as_bytes())),
        _ => None,
    }
}
