//! The pure rules of the Redis layout (ids, positions, gaps, replies) and the publish
//! queue's bookkeeping, without a connection.

use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use redis::Value;

use super::publisher::Queue;
use super::stream::{newest_id, parse_xread, Cursor, Entry, Keys, StreamId};
use crate::rooms::{GapReason, HubError};

const DAY: Duration = Duration::from_secs(86_400);

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId { ms, seq }
}

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

#[test]
fn stream_ids_parse_print_and_order() {
    assert_eq!(
        StreamId::parse("1700000000000-3"),
        Some(id(1_700_000_000_000, 3))
    );
    assert_eq!(id(5, 1).to_string(), "5-1");
    assert!(id(5, 2) > id(5, 1) && id(6, 0) > id(5, 9));
    for bad in ["", "5", "5-", "-1", "a-1", "5-1-2"] {
        assert_eq!(StreamId::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn every_key_of_a_room_shares_its_hash_tag() {
    let keys = Keys::new("app");
    assert_eq!(keys.stream("lobby"), "{app:room:lobby}");
    assert_eq!(keys.counter("lobby"), "{app:room:lobby}:n");
    assert_eq!(
        keys.publisher_mark("lobby", "ab12"),
        "{app:room:lobby}:p:ab12"
    );
    // A name with a brace still gives the three keys one tag (what precedes its first `}`).
    let tag = |key: &str| key[1..key.find('}').unwrap_or(0)].to_owned();
    let odd = "we}ird{";
    assert_eq!(tag(&keys.stream(odd)), tag(&keys.counter(odd)));
    assert_eq!(tag(&keys.stream(odd)), tag(&keys.publisher_mark(odd, "x")));
}

#[test]
fn consecutive_numbers_are_no_gap_and_a_jump_is_a_trimmed_gap() {
    let mut cursor = Cursor::at(Some(id(100, 0)), Some(7));
    assert_eq!(cursor.advance("r", id(101, 0), 8, DAY), None);
    let gap = cursor.advance("r", id(102, 0), 12, DAY).expect("a gap");
    assert_eq!((gap.reason, gap.missed), (GapReason::Trimmed, Some(3)));
    assert_eq!(
        cursor,
        Cursor {
            id: id(102, 0),
            number: Some(12)
        }
    );
}

#[test]
fn a_counter_that_starts_again_is_a_reset_unless_the_room_was_idle_past_its_ttl() {
    let mut cursor = Cursor::at(Some(id(1_000, 0)), Some(50));
    let gap = cursor.advance("r", id(2_000, 0), 1, DAY).expect("a reset");
    assert_eq!((gap.reason, gap.missed), (GapReason::Reset, None));
    let mut idle = Cursor::at(Some(id(1_000, 0)), Some(50));
    assert_eq!(idle.advance("r", id(1_000 + 86_400_000, 0), 1, DAY), None);
}

#[test]
fn a_position_from_the_clock_takes_its_first_number_as_is() {
    let mut cursor = Cursor::from_clock(5_000);
    assert_eq!(cursor.advance("r", id(5_001, 0), 42, DAY), None);
    assert_eq!(cursor.advance("r", id(5_002, 0), 43, DAY), None);
}

#[test]
fn after_a_reconnect_a_lower_counter_is_reported_once_and_reading_goes_on() {
    let mut cursor = Cursor::at(Some(id(1_000, 0)), Some(9));
    assert_eq!(cursor.check_counter("r", Some(9), 2_000, DAY), None);
    assert_eq!(
        cursor.check_counter("r", Some(12), 2_000, DAY),
        None,
        "behind is not lost"
    );
    let gap = cursor
        .check_counter("r", None, 2_000, DAY)
        .expect("a reset");
    assert_eq!(gap.reason, GapReason::Reset);
    // The entries written since the restart (numbers 1, 2, ...) are delivered, not flagged.
    assert_eq!(cursor.check_counter("r", Some(0), 2_000, DAY), None);
    assert_eq!(cursor.advance("r", id(3_000, 0), 1, DAY), None);
    assert_eq!(cursor.advance("r", id(3_001, 0), 2, DAY), None);
}

#[test]
fn xread_replies_parse_in_resp2_and_resp3_shapes() {
    let entry = |ms: u64, n: &str, k: &str, d: &str| {
        Value::Array(vec![
            bulk(&format!("{ms}-0")),
            Value::Array(vec![
                bulk("n"),
                bulk(n),
                bulk("k"),
                bulk(k),
                bulk("d"),
                bulk(d),
            ]),
        ])
    };
    let entries = Value::Array(vec![
        entry(10, "1", "t", "hello"),
        entry(11, "2", "b", "\u{1}\u{2}"),
        // Not squall's: skipped.
        Value::Array(vec![
            bulk("12-0"),
            Value::Array(vec![bulk("other"), bulk("x")]),
        ]),
    ]);
    let expected = vec![(
        "{s:room:a}".to_owned(),
        vec![
            Entry {
                id: id(10, 0),
                number: 1,
                text: true,
                payload: Bytes::from_static(b"hello"),
            },
            Entry {
                id: id(11, 0),
                number: 2,
                text: false,
                payload: Bytes::from_static(b"\x01\x02"),
            },
        ],
    )];
    let resp2 = Value::Array(vec![Value::Array(vec![
        bulk("{s:room:a}"),
        entries.clone(),
    ])]);
    assert_eq!(parse_xread(resp2), Ok(expected));
    let resp3 = Value::Map(vec![(bulk("{s:room:a}"), entries)]);
    assert_eq!(parse_xread(resp3).map(|streams| streams.len()), Ok(1));
    assert_eq!(parse_xread(Value::Nil), Ok(Vec::new()));
    assert!(parse_xread(Value::Int(3)).is_err());
}

#[test]
fn the_newest_id_comes_from_xrevrange() {
    let reply = Value::Array(vec![Value::Array(vec![bulk("77-4"), Value::Array(vec![])])]);
    assert_eq!(newest_id(&reply), Some(id(77, 4)));
    assert_eq!(newest_id(&Value::Array(vec![])), None);
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn messages_on_the_wire_outlive_their_deadline_and_the_others_expire() {
    let queue = Queue::new(1 << 20);
    let first = queue.accept("room", "one".into(), SECOND).await.unwrap();
    let second = queue.accept("room", "two".into(), SECOND).await.unwrap();
    let sent: Vec<u64> = queue
        .batch()
        .iter()
        .map(|(sequence, ..)| *sequence)
        .collect();
    assert_eq!(sent, [0, 1]);
    let waiting = queue.accept("room", "three".into(), SECOND).await.unwrap();
    let far = Instant::now() + 10 * SECOND;
    let deadline = queue.arm(far);
    assert!(deadline < far, "the message not sent is waited on");
    assert_eq!(queue.drop_expired(deadline - SECOND / 2), 0);
    assert_eq!(queue.drop_expired(deadline), 1, "only the message not sent");
    assert_eq!(queue.arm(far), far, "the sent ones are not waited on");
    queue.acknowledge();
    assert_eq!(queue.len(), 0);
    assert!(first.wait().await.is_ok() && second.wait().await.is_ok());
    assert!(matches!(
        waiting.wait().await,
        Err(HubError::PublishTimeout(_))
    ));
}

#[tokio::test]
async fn a_batch_whose_connection_failed_expires_like_the_rest() {
    let queue = Queue::new(1 << 20);
    let lost = queue.accept("room", "one".into(), SECOND).await.unwrap();
    assert_eq!(queue.batch().len(), 1);
    queue.connection_lost();
    let far = Instant::now() + 10 * SECOND;
    let deadline = queue.arm(far);
    assert!(deadline < far, "waited on again");
    assert_eq!(queue.drop_expired(deadline), 1);
    assert!(matches!(
        lost.wait().await,
        Err(HubError::PublishTimeout(_))
    ));
    // Nothing is on the wire: a late reply acknowledges nothing.
    let kept = queue.accept("room", "two".into(), SECOND).await.unwrap();
    queue.acknowledge();
    assert_eq!(queue.len(), 1);
    drop(kept);
}

#[tokio::test]
async fn a_message_whose_deadline_passed_before_it_was_queued_is_refused() {
    let queue = Queue::new(1 << 20);
    let refused = queue.accept("room", "late".into(), Duration::ZERO).await;
    assert!(matches!(refused, Err(HubError::PublishTimeout(_))));
    assert_eq!(queue.len(), 0, "it holds no budget");
}
