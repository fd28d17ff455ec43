//! `Proxy::from_env` against the process environment. The only test in this binary: it
//! sets process-wide variables, which would leak into tests running beside it. The rules
//! themselves are unit-tested on `Proxy::from_env_vars`, which takes the variables as input.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{tungstenite_echo_server, within};
use common::proxy::{Policy, TestProxy};
use squall::{websocket_connect, ConnectOptions, Message, Proxy};

async fn echo(url: String, options: ConnectOptions) {
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    within(conn.write_message("env")).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("env"))
    );
}

#[tokio::test]
async fn proxy_from_the_environment_with_a_no_proxy_bypass() {
    let server = tungstenite_echo_server().await;
    let proxy = TestProxy::start(Policy::Open).await;
    for name in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
        "REQUEST_METHOD",
    ] {
        std::env::remove_var(name);
    }
    // Scheme left out, as often in shells.
    std::env::set_var("http_proxy", proxy.addr.to_string());
    std::env::set_var("NO_PROXY", "localhost");

    // The environment is read only when asked.
    echo(format!("ws://{server}/"), ConnectOptions::new()).await;
    assert!(proxy.seen().is_empty());

    let from_env = || ConnectOptions::new().proxy(Proxy::from_env().unwrap());
    echo(format!("ws://{server}/"), from_env()).await;
    assert_eq!(proxy.seen().len(), 1);
    assert_eq!(proxy.seen()[0].target, server.to_string());

    // `localhost` is in NO_PROXY: direct.
    echo(format!("ws://localhost:{}/", server.port()), from_env()).await;
    assert_eq!(proxy.seen().len(), 1);

    // A variable that is not an http:// proxy is an error naming it.
    std::env::set_var("https_proxy", "socks5://127.0.0.1:1080");
    let err = Proxy::from_env().unwrap_err();
    assert!(err.to_string().contains("https_proxy"), "{err}");
}
