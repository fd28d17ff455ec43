//! HTTP proxies for the native client: which proxy a connection goes through, chosen from
//! an explicit URL or from the environment, with `no_proxy` exceptions.
//!
//! Everything here is pure: parsing proxy URLs and `no_proxy` lists, reading a snapshot of
//! the environment variables, and choosing a proxy for a target. The native client opens the
//! tunnel (`CONNECT host:port`) itself; a browser uses its own proxy settings, so setting
//! [`ConnectOptions::proxy`](crate::ConnectOptions::proxy) there is refused.

mod config;
mod env;
mod no_proxy;

pub use config::Proxy;
#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
pub(crate) use config::ProxyServer;
