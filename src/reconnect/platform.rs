//! All the reconnecting client needs from its platform, in one place: a timer, a clock for
//! uptimes, a shared cell, and boxed futures (`Send` natively, not in a browser, where
//! nothing is). Natively: tokio's timer and `Instant`; in a browser: the page's
//! `setTimeout` (gloo-timers) and `Date.now()`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::ConnectOptions;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Instant;

    /// A connection attempt in flight.
    pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
    /// Makes the options of each connection attempt.
    pub(crate) type OptionsFactory = Box<dyn FnMut() -> ConnectOptions + Send>;
    /// A pending delay.
    pub(crate) type Sleep = Pin<Box<tokio::time::Sleep>>;

    /// Resolves after `duration` (on the current tokio runtime's timer).
    pub(crate) fn sleep(duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    /// Measures how long a connection stayed up.
    #[derive(Debug)]
    pub(crate) struct Stopwatch(Instant);

    impl Stopwatch {
        pub(crate) fn start() -> Self {
            Self(Instant::now())
        }

        pub(crate) fn elapsed(&self) -> Duration {
            self.0.elapsed()
        }
    }

    /// State shared by the client and its handles.
    #[derive(Debug, Default)]
    pub(crate) struct SharedCell<T>(Arc<Mutex<T>>);

    impl<T> SharedCell<T> {
        pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
        }
    }

    impl<T> Clone for SharedCell<T> {
        fn clone(&self) -> Self {
            Self(Arc::clone(&self.0))
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A connection attempt in flight.
    pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;
    /// Makes the options of each connection attempt.
    pub(crate) type OptionsFactory = Box<dyn FnMut() -> ConnectOptions>;
    /// A pending delay.
    pub(crate) type Sleep = gloo_timers::future::TimeoutFuture;

    /// Resolves after `duration` (the page's `setTimeout`).
    pub(crate) fn sleep(duration: Duration) -> Sleep {
        crate::browser::timer::sleep(duration)
    }

    /// Measures how long a connection stayed up (`std::time::Instant` panics on
    /// `wasm32-unknown-unknown`).
    #[derive(Debug)]
    pub(crate) struct Stopwatch(f64);

    impl Stopwatch {
        pub(crate) fn start() -> Self {
            Self(js_sys::Date::now())
        }

        pub(crate) fn elapsed(&self) -> Duration {
            let ms = (js_sys::Date::now() - self.0).max(0.0);
            Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()
        }
    }

    /// State shared by the client and its handles.
    #[derive(Debug, Default)]
    pub(crate) struct SharedCell<T>(Rc<RefCell<T>>);

    impl<T> SharedCell<T> {
        /// # Panics
        /// Never: `f` cannot reach the cell again (callers only run plain code in it).
        pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            f(&mut self.0.borrow_mut())
        }
    }

    impl<T> Clone for SharedCell<T> {
        fn clone(&self) -> Self {
            Self(Rc::clone(&self.0))
        }
    }
}

pub(crate) use imp::{sleep, BoxFuture, OptionsFactory, SharedCell, Sleep, Stopwatch};
