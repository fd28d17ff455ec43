//! squall's chat demo, compiled to wasm: the page (`www/index.html`) calls [`start`], which
//! connects to `/chat/ROOM` on the page's own host with `squall::websocket_connect`, appends
//! every line the room broadcasts to `#log`, and sends `#msg` when `#send` is clicked (or
//! Enter pressed).
//!
//! Page contract: `#status` reads `open` once connected (then `closed (CODE)`), `#log` gets
//! one child element per chat line received, in order, `#extensions` shows what the
//! browser and the server agreed to (`permessage-deflate; ...`), `#room` shows the room, and
//! `#node` shows the chat node the page is connected to: the WebSocket URL's host, which is
//! the page's own origin (`127.0.0.1:8889`), since each node serves the page itself. With
//! several nodes sharing one Redis (`chat_server --redis URL`), pages on different nodes
//! are in one chat, and `#node` tells them apart. `#http` shows the HTTP version that
//! carried the WebSocket's upgrade (`HTTP/2` or `HTTP/1.1`): the browser chooses it and does
//! not tell the page, so the page asks the server (`?http` in the WebSocket's URL), which
//! answers with a first line `* connected over VERSION`.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use std::rc::Rc;

use squall::{websocket_connect, ClientWriter, ConnectOptions, Message};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, HtmlInputElement};

/// The server's first line, before the HTTP version of the upgrade (`examples/common/chat.rs`).
const CONNECTED_OVER: &str = "* connected over ";

/// Connects to the room named by the page's `?room=` (default `lobby`) and runs the chat
/// until the connection closes.
///
/// # Errors
/// When the page lacks one of the elements of the contract.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start() -> Result<(), JsValue> {
    let document = document()?;
    let location = web_sys::window().ok_or("no window")?.location();
    let room = location
        .search()?
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("room="))
        .filter(|room| {
            !room.is_empty() && room.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .unwrap_or("lobby")
        .to_owned();
    let scheme = if location.protocol()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let node = location.host()?;
    // `?http`: the server's first line tells the HTTP version of the upgrade.
    let url = format!("{scheme}://{node}/chat/{room}?http");
    set_text(&document, "room", &room)?;
    set_text(&document, "node", &node)?;
    spawn_local(async move {
        if let Err(err) = run(document.clone(), url).await {
            let _ = set_text(&document, "status", &format!("error: {}", describe(&err)));
        }
    });
    Ok(())
}

async fn run(document: Document, url: String) -> Result<(), JsValue> {
    set_text(&document, "status", "connecting")?;
    let options = ConnectOptions::new().connect_timeout(std::time::Duration::from_secs(10));
    let conn = websocket_connect(url.as_str(), options)
        .await
        .map_err(|err| JsValue::from(err.to_string()))?;
    set_text(&document, "extensions", conn.extensions().unwrap_or("none"))?;
    set_text(&document, "status", "open")?;
    let (mut reader, writer) = conn.split();
    // The handlers live as long as the connection; dropping them at the end removes them.
    let _send = SendHandlers::install(&document, writer)?;
    let log = element(&document, "log")?;
    let mut first = true;
    while let Some(message) = reader.read_message().await {
        if let Message::Text(line) = message {
            // Only the first line: a later one with the same words is someone's chat line.
            if std::mem::take(&mut first) {
                if let Some(version) = line.strip_prefix(CONNECTED_OVER) {
                    set_text(&document, "http", version)?;
                    continue;
                }
            }
            let entry = document.create_element("div")?;
            entry.set_class_name("line");
            entry.set_text_content(Some(&line));
            log.append_child(&entry)?;
            entry.scroll_into_view();
        }
    }
    let code = reader.close_code().map_or(1006, |code| code.as_u16());
    set_text(&document, "status", &format!("closed ({code})"))
}

/// The click and Enter handlers that send `#msg`; removed from the page on drop.
struct SendHandlers {
    button: web_sys::Element,
    input: HtmlInputElement,
    click: Closure<dyn FnMut(web_sys::Event)>,
    key: Closure<dyn FnMut(web_sys::KeyboardEvent)>,
}

impl SendHandlers {
    fn install(document: &Document, writer: ClientWriter) -> Result<Self, JsValue> {
        let input: HtmlInputElement = element(document, "msg")?.dyn_into()?;
        let button = element(document, "send")?;
        let send: Rc<dyn Fn()> = {
            let input = input.clone();
            let writer = writer.clone();
            Rc::new(move || {
                let line = input.value();
                if line.trim().is_empty() {
                    return;
                }
                input.set_value("");
                let writer = writer.clone();
                spawn_local(async move {
                    let _ = writer.write_message(line).await;
                });
            })
        };
        let click = {
            let send = Rc::clone(&send);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| send())
        };
        let key = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(
            move |event: web_sys::KeyboardEvent| {
                if event.key() == "Enter" {
                    send();
                }
            },
        );
        button.add_event_listener_with_callback("click", click.as_ref().unchecked_ref())?;
        input.add_event_listener_with_callback("keydown", key.as_ref().unchecked_ref())?;
        drop(writer);
        Ok(Self {
            button,
            input,
            click,
            key,
        })
    }
}

impl Drop for SendHandlers {
    fn drop(&mut self) {
        let _ = self
            .button
            .remove_event_listener_with_callback("click", self.click.as_ref().unchecked_ref());
        let _ = self
            .input
            .remove_event_listener_with_callback("keydown", self.key.as_ref().unchecked_ref());
    }
}

fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| "no document".into())
}

fn element(document: &Document, id: &str) -> Result<web_sys::Element, JsValue> {
    document
        .get_element_by_id(id)
        .ok_or_else(|| format!("the page has no #{id}").into())
}

fn set_text(document: &Document, id: &str, text: &str) -> Result<(), JsValue> {
    element(document, id)?.set_text_content(Some(text));
    Ok(())
}

fn describe(value: &JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
