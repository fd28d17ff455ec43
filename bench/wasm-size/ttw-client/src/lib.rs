//! Connect to `url`, send one text message, read one message, close; returns what was read.
//! In the browser, tokio-tungstenite-wasm's `close` calls `WebSocket.close()` and returns
//! (it does not wait for the server's close frame).

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite_wasm::{connect, Message};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub async fn run(url: String) -> Result<String, JsValue> {
    let err = |e: tokio_tungstenite_wasm::Error| JsValue::from_str(&e.to_string());
    let mut ws = connect(url.as_str()).await.map_err(err)?;
    ws.send(Message::text("hello")).await.map_err(err)?;
    let reply = match ws.next().await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        Some(Ok(Message::Binary(data))) => format!("{} bytes", data.len()),
        Some(Ok(other)) => format!("{other:?}"),
        Some(Err(e)) => return Err(err(e)),
        None => return Err(JsValue::from_str("closed before a reply")),
    };
    ws.close().await.map_err(err)?;
    Ok(reply)
}
