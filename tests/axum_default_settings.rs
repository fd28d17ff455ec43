//! A WebSocket route that no `Upgrader` extension reaches (a layer added before the route)
//! says so, once, instead of running with the default `Settings` silently.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::routing::get;
use squall::axum::{Upgrader, WebSocketUpgrade};
use squall::{Message, PathArgs, Settings, WebSocket, WebSocketHandler};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the message of every warning.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct MessageField<'a>(&'a mut String);

impl Visit for MessageField<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Warnings {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        Id::from_u64(NEXT.fetch_add(1, Ordering::Relaxed) as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut message = String::new();
        event.record(&mut MessageField(&mut message));
        self.0.lock().unwrap().push(message);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

struct Echo;

impl WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

async fn upgrade(ws: WebSocketUpgrade) -> axum::response::Response {
    ws.serve(Echo, PathArgs::default()).await
}

#[tokio::test]
async fn a_route_without_its_upgrader_warns_once_and_one_with_it_does_not() {
    let warnings = Warnings::default();
    tracing::subscriber::set_global_default(warnings.clone()).unwrap();
    let upgrader = Upgrader::new(Settings::default());
    // The layer covers only the routes added before it: /covered, not /uncovered.
    let app = axum::Router::new()
        .route("/covered", get(upgrade))
        .layer(axum::Extension(upgrader))
        .route("/uncovered", get(upgrade));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let said = || {
        let all = warnings.0.lock().unwrap();
        all.iter()
            .filter(|m| m.contains("no Upgrader extension"))
            .count()
    };
    tokio_tungstenite::connect_async(format!("ws://{addr}/covered"))
        .await
        .unwrap();
    assert_eq!(said(), 0, "a covered route is quiet");
    for _ in 0..3 {
        tokio_tungstenite::connect_async(format!("ws://{addr}/uncovered"))
            .await
            .unwrap();
    }
    assert_eq!(said(), 1, "said once: {:?}", warnings.0.lock().unwrap());
}
