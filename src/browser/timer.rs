//! Timers on the page's `setTimeout`, through gloo-timers.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use gloo_timers::future::TimeoutFuture;

/// The longest delay `setTimeout` takes (2^31 - 1 ms, about 24.8 days); longer ones would
/// fire at once.
const MAX_DELAY_MS: u32 = 0x7fff_ffff;

/// Resolves after `duration` (clamped to `setTimeout`'s limit).
pub(super) fn sleep(duration: Duration) -> TimeoutFuture {
    let ms = u32::try_from(duration.as_millis()).unwrap_or(MAX_DELAY_MS);
    TimeoutFuture::new(ms.min(MAX_DELAY_MS))
}

/// Runs `future` for at most `limit` (forever when `None`): `None` when time ran out.
pub(super) async fn timeout<F: Future>(limit: Option<Duration>, future: F) -> Option<F::Output> {
    let Some(limit) = limit else {
        return Some(future.await);
    };
    let mut future = pin!(future);
    let mut timer = sleep(limit);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        std::pin::Pin::new(&mut timer).poll(cx).map(|()| None)
    })
    .await
}
