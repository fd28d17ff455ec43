//! A client and a server core wired together, with a virtual clock (after quinn's `Pair`).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::CloseFrame;

/// How bytes cross the virtual wire.
#[derive(Clone, Copy)]
enum Split {
    Whole,
    Bytewise,
    /// Chunks of pseudo-random length from a fixed seed.
    Random(u64),
}

struct Pair {
    client: Connection,
    server: Connection,
    now: Instant,
    split: Split,
    client_eof: bool,
    server_eof: bool,
}

impl Pair {
    fn new(split: Split) -> Self {
        let now = Instant::now();
        Self {
            client: Connection::new(Role::Client, config(), now),
            server: Connection::new(Role::Server, config(), now),
            now,
            split,
            client_eof: false,
            server_eof: false,
        }
    }

    /// Moves bytes both ways until neither side has anything to send; bounded.
    fn drive(&mut self) {
        for _ in 0..1000 {
            let (to_server, c_eof) = drain(&mut self.client);
            let (to_client, s_eof) = drain(&mut self.server);
            if to_server.is_empty() && to_client.is_empty() && !c_eof && !s_eof {
                return;
            }
            self.deliver(&to_server, true);
            self.deliver(&to_client, false);
            if c_eof && !self.client_eof {
                self.client_eof = true;
                self.server.receive_eof();
            }
            if s_eof && !self.server_eof {
                self.server_eof = true;
                self.client.receive_eof();
            }
        }
        panic!("livelock: the pair never went idle");
    }

    fn deliver(&mut self, bytes: &[u8], to_server: bool) {
        let now = self.now;
        let target = if to_server {
            &mut self.server
        } else {
            &mut self.client
        };
        match self.split {
            Split::Whole => target.receive(bytes, now),
            Split::Bytewise => bytes
                .iter()
                .for_each(|b| target.receive(std::slice::from_ref(b), now)),
            Split::Random(ref mut state) => {
                let mut rest = bytes;
                while !rest.is_empty() {
                    *state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let n = ((*state >> 33) as usize % 37 + 1).min(rest.len());
                    target.receive(&rest[..n], now);
                    rest = &rest[n..];
                }
                self.split = Split::Random(*state);
            }
        }
    }

    /// Advances the virtual clock, firing both sides' timers, then drives.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.drive();
    }
}

fn messages() -> Vec<Message> {
    let mut all = vec![
        Message::from(""),
        Message::from("héllo €"),
        Message::Binary(Bytes::new()),
    ];
    for len in [1usize, 125, 126, 127, 65535, 65536, 70000] {
        all.push(Message::Binary(
            (0..len).map(|i| i as u8).collect::<Vec<_>>().into(),
        ));
        all.push(Message::from("ab€".repeat(len / 5 + 1)));
    }
    all
}

fn exchange_everything(split: Split) {
    let mut pair = Pair::new(split);
    for m in messages() {
        pair.client.send(&m).unwrap();
        pair.server.send(&m).unwrap();
    }
    pair.drive();
    let expected: Vec<Event> = messages().into_iter().map(Event::Message).collect();
    assert_eq!(events(&mut pair.server), expected);
    assert_eq!(events(&mut pair.client), expected);
}

#[test]
fn messages_cross_whole() {
    exchange_everything(Split::Whole);
}

#[test]
fn messages_cross_byte_by_byte() {
    exchange_everything(Split::Bytewise);
}

#[test]
fn messages_cross_at_random_split_points() {
    for seed in 1..=5 {
        exchange_everything(Split::Random(seed));
    }
}

#[test]
fn close_handshake_started_by_the_client() {
    for split in [Split::Whole, Split::Bytewise, Split::Random(9)] {
        let mut pair = Pair::new(split);
        pair.client
            .close(
                Some(CloseFrame::new(4000.into(), "done").unwrap()),
                pair.now,
            )
            .unwrap();
        pair.drive();
        let server_closed = events(&mut pair.server);
        let client_closed = events(&mut pair.client);
        let [Event::Closed(s)] = &server_closed[..] else {
            panic!("{server_closed:?}")
        };
        let [Event::Closed(c)] = &client_closed[..] else {
            panic!("{client_closed:?}")
        };
        assert_eq!(
            (s.code.as_u16(), s.reason.as_str(), s.by_peer, s.clean),
            (4000, "done", true, true)
        );
        assert_eq!(
            (c.code.as_u16(), c.reason.as_str(), c.by_peer, c.clean),
            (4000, "done", false, true)
        );
        // The server closed TCP first; the client saw it and is done too.
        assert!(pair.server.is_finished() && pair.client.is_finished());
    }
}

#[test]
fn close_handshake_started_by_the_server() {
    let mut pair = Pair::new(Split::Whole);
    pair.server.close(None, pair.now).unwrap();
    pair.drive();
    let [Event::Closed(c)] = &events(&mut pair.client)[..] else {
        panic!()
    };
    assert_eq!((c.code, c.by_peer), (CloseCode::NO_STATUS, true));
    let [Event::Closed(s)] = &events(&mut pair.server)[..] else {
        panic!()
    };
    assert_eq!(
        (s.code, s.by_peer, s.clean),
        (CloseCode::NO_STATUS, false, true)
    );
    assert!(pair.server.is_finished() && pair.client.is_finished());
}

#[test]
fn keepalive_on_both_sides_with_virtual_time() {
    let now = Instant::now();
    let keepalive = Config {
        ping_interval: Some(Duration::from_secs(1)),
        ..config()
    };
    let mut pair = Pair::new(Split::Random(3));
    pair.client = Connection::new(Role::Client, keepalive.clone(), now);
    pair.server = Connection::new(Role::Server, keepalive, now);
    for _ in 0..10 {
        pair.advance(Duration::from_secs(1));
    }
    assert_eq!(pair.client.state(), super::super::State::Open);
    assert_eq!(pair.server.state(), super::super::State::Open);
    let pongs = events(&mut pair.client)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::Pong {
                    acknowledged: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(pongs, 10);
}

#[test]
fn corrupted_bytes_in_flight_fail_the_receiver() {
    // After rustls' transfer_altered: flip the RSV2 bit of the client's frame in flight.
    let mut pair = Pair::new(Split::Whole);
    pair.client.send(&Message::from("hi")).unwrap();
    let (mut bytes, _) = drain(&mut pair.client);
    bytes[0] |= 0x20;
    pair.server.receive(&bytes, pair.now);
    assert_failed(&mut pair.server, 1002, ProtocolError::ReservedBits);
}
