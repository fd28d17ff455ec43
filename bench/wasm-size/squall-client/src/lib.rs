//! Connect to `url`, send one text message, read one message, close; returns what was read.

use squall::{websocket_connect, ConnectOptions, Message};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub async fn run(url: String) -> Result<String, JsValue> {
    let err = |e: squall::Error| JsValue::from_str(&e.to_string());
    let mut conn = websocket_connect(url.as_str(), ConnectOptions::new())
        .await
        .map_err(err)?;
    conn.write_message("hello").await.map_err(err)?;
    let reply = match conn.read_message().await {
        Some(Message::Text(text)) => text,
        Some(Message::Binary(data)) => format!("{} bytes", data.len()),
        None => return Err(JsValue::from_str("closed before a reply")),
    };
    conn.close(None, None).await.map_err(err)?;
    Ok(reply)
}
