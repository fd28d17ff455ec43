//! `WebSocket`: the server-side connection handle.

use std::sync::Arc;

use super::request::Request;
use crate::methods::{closed_methods, negotiated_methods, writing_methods, Negotiated};
use crate::native::driver::{Handle, Shared};

/// A handle to one server-side connection, as Tornado's `WebSocketHandler` methods.
///
/// Cheap to clone and `Send`: other tasks (a broadcast, a timer) can hold it and write.
/// Every method fails with [`WebSocketClosedError`](crate::WebSocketClosedError) once the
/// connection is closing or closed. The writing and closing methods are the client's
/// (written once for both), over the same connection driver.
#[derive(Clone, Debug)]
pub struct WebSocket {
    handle: Handle,
    info: Arc<Info>,
}

#[derive(Debug)]
struct Info {
    request: Request,
    negotiated: Negotiated,
}

impl WebSocket {
    pub(crate) fn new(
        handle: Handle,
        request: Request,
        subprotocol: Option<String>,
        extensions: Option<String>,
    ) -> Self {
        Self {
            handle,
            info: Arc::new(Info {
                request,
                negotiated: Negotiated {
                    subprotocol,
                    extensions,
                },
            }),
        }
    }

    writing_methods!();
    closed_methods!();
    negotiated_methods!();

    /// The upgrade request: path, query, headers, peer address.
    pub fn request(&self) -> &Request {
        &self.info.request
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    #[inline]
    fn writer_shim(&self) -> &Handle {
        &self.handle
    }

    #[inline]
    fn close_state(&self) -> &Shared {
        &self.handle.shared
    }

    #[inline]
    fn negotiated(&self) -> &Negotiated {
        &self.info.negotiated
    }
}
