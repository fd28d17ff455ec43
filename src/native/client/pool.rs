//! The HTTP/2 connections of an [`Http2Pool`](crate::Http2Pool), one per origin.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use h2::client::SendRequest;

use super::request::Target;

/// Scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Origin {
    secure: bool,
    host: String,
    port: u16,
}

impl Origin {
    pub(super) fn of(target: &Target) -> Self {
        Self {
            secure: target.secure,
            host: target.host.to_string(),
            port: target.port,
        }
    }
}

/// Each origin's HTTP/2 connection, as the handle that opens streams on it.
#[derive(Default)]
pub(crate) struct Http2Connections(Mutex<HashMap<Origin, SendRequest<Bytes>>>);

impl Http2Connections {
    pub(super) fn get(&self, origin: &Origin) -> Option<SendRequest<Bytes>> {
        self.lock().get(origin).cloned()
    }

    pub(super) fn put(&self, origin: Origin, connection: SendRequest<Bytes>) {
        self.lock().insert(origin, connection);
    }

    pub(super) fn forget(&self, origin: &Origin) {
        self.lock().remove(origin);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, SendRequest<Bytes>>> {
        // Nothing panics while holding it; a poisoned map is still a map.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
