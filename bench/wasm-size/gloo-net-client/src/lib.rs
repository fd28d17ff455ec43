//! Connect to `url`, send one text message, read one message, close; returns what was read.
//! gloo-net's `WebSocket::close` sends the close and returns (it does not wait for the
//! server's close frame).

use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub async fn run(url: String) -> Result<String, JsValue> {
    let mut ws = WebSocket::open(&url).map_err(|e| JsValue::from_str(&e.to_string()))?;
    ws.send(Message::Text("hello".into()))
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let reply = match ws.next().await {
        Some(Ok(Message::Text(text))) => text,
        Some(Ok(Message::Bytes(data))) => format!("{} bytes", data.len()),
        Some(Err(e)) => return Err(JsValue::from_str(&e.to_string())),
        None => return Err(JsValue::from_str("closed before a reply")),
    };
    ws.close(None, None)
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(reply)
}
