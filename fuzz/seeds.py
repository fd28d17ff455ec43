#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*.

The seeds are the vectors of squall's unit tests (RFC 6455 section 5.7 frames, RFC 7692
section 7.2.3 compressed bytes, the RFC's handshake, Chromium's and Firefox's upgrade
requests and their RFC 8441 extended CONNECTs, Autobahn 13.7's multiple offers), put in
each target's input layout (see squall::fuzzing and fuzz/README.md). Running it again rewrites the same files, so it can
follow `cargo fuzz cmin`, which may drop seeds that add no coverage.

Usage: python3 fuzz/seeds.py
"""

import os
import random
import zlib

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MASK = bytes.fromhex("37fa213d")  # RFC 6455 section 5.7
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def frame(opcode, payload=b"", fin=True, rsv1=False, mask=None):
    b0 = opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = bytes([b0, mask_bit | n])
    elif n < 65536:
        head = bytes([b0, mask_bit | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, mask_bit | 127]) + n.to_bytes(8, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def deflate(messages, wbits=15, takeover=True):
    """Each message compressed as permessage-deflate does: sync flush, tail removed."""
    out = []
    c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    for m in messages:
        data = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        out.append(data[:-4])
        if not takeover:
            c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    return out


# ---- frames, written unmasked (a server's) and turned into masked ones for the server.

HELLO_Z = bytes.fromhex("f248cdc9c90700")  # RFC 7692 7.2.3.1
HELLO_Z_AGAIN = bytes.fromhex("f200110000")  # 7.2.3.2, with context takeover

# (name, [(opcode, payload, fin, rsv1)], needs deflate)
STREAMS = [
    ("text-hello", [(1, b"Hello", True, False)], False),  # RFC 6455 5.7
    ("fragmented-hello", [(1, b"Hel", False, False), (0, b"lo", True, False)], False),
    ("ping-hello", [(9, b"Hello", True, False)], False),
    ("pong-hello", [(10, b"Hello", True, False)], False),
    ("pong-fuzz", [(10, b"fuzz", True, False)], False),
    ("binary-256", [(2, bytes(range(256)), True, False)], False),
    ("binary-empty", [(2, b"", True, False)], False),
    ("ping-inside-fragments", [(1, b"Hel", False, False), (9, b"", True, False), (0, b"lo", True, False)], False),
    ("close-1000", [(8, b"\x03\xe8", True, False)], False),
    ("close-reason", [(8, b"\x03\xe9going away", True, False)], False),
    ("close-empty", [(8, b"", True, False)], False),
    ("close-4000", [(8, b"\x0f\xa0app", True, False)], False),
    ("close-1005-invalid", [(8, b"\x03\xed", True, False)], False),
    ("close-one-byte", [(8, b"\x03", True, False)], False),
    ("close-bad-utf8", [(8, b"\x03\xe8\xff", True, False)], False),
    ("text-then-close", [(1, b"Hello", True, False), (8, b"\x03\xe8", True, False), (1, b"late", True, False)], False),
    ("text-bad-utf8", [(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", True, False)], False),
    ("text-utf8-split", [(1, "κόσμε".encode()[:3], False, False), (0, "κόσμε".encode()[3:], True, False)], False),
    ("continuation-alone", [(0, b"lo", True, False)], False),
    ("text-while-fragmented", [(1, b"Hel", False, False), (1, b"lo", True, False)], False),
    ("ping-fragmented", [(9, b"Hello", False, False)], False),
    ("ping-126", [(9, b"x" * 126, True, False)], False),
    ("reserved-opcode-3", [(3, b"", True, False)], False),
    ("reserved-opcode-b", [(11, b"", True, False)], False),
    ("rsv1-without-deflate", [(1, b"Hello", True, True)], False),
    ("compressed-hello", [(1, HELLO_Z, True, True)], True),  # RFC 7692 7.2.3.1
    ("compressed-hello-twice", [(1, HELLO_Z, True, True), (1, HELLO_Z_AGAIN, True, True)], True),
    ("compressed-fragmented", [(1, HELLO_Z[:3], False, True), (0, HELLO_Z[3:], True, False)], True),
    ("compressed-stored", [(2, bytes.fromhex("000500faff48656c6c6f00"), True, True)], True),  # 7.2.3.3
    ("compressed-bfinal", [(1, bytes.fromhex("f348cdc9c9070000"), True, True)], True),  # 7.2.3.4
    ("compressed-two-blocks", [(1, bytes.fromhex("f24805000000ffffcac9c90700"), True, True)], True),  # 7.2.3.5
    ("compressed-empty", [(2, b"\x00", True, True)], True),  # 7.2.3.6
    ("compressed-corrupt", [(2, b"\xff\xff\xff", True, True)], True),
    ("compressed-on-continuation", [(1, HELLO_Z[:3], False, True), (0, HELLO_Z[3:], True, True)], True),
    ("compressed-ping", [(9, b"", True, True)], True),
    ("compressed-bomb", [(2, deflate([bytes(200_000)])[0], True, True)], True),
    ("compressed-text-bad-utf8", [(1, deflate([b"ok \xff"])[0], True, True)], True),
    ("compressed-no-takeover", [(1, m, True, True) for m in deflate([b"Hello", b"Hello"], takeover=False)], True),
]

# A header that announces more than it brings, and a 64-bit length.
HEADERS_ONLY = [
    ("length-64k", bytes.fromhex("827f0000000000010000")),
    ("length-top-bit", bytes.fromhex("827f8000000000000000")),
    ("length-2-62", bytes.fromhex("827f4000000000000000")),
    ("length-16", bytes.fromhex("827e0100")),
]


def receive_seeds():
    for role in ("server", "client"):
        target = "receive_" + role
        mask = MASK if role == "server" else None
        for name, frames, deflated in STREAMS:
            stream = b"".join(frame(op, p, fin, rsv1, mask) for op, p, fin, rsv1 in frames)
            flags = [0x01, 0x07, 0x11, 0x41] if deflated else [0x00, 0x10]
            for f in flags:
                write(target, f"{name}-f{f:02x}", bytes([f, 0]) + stream)
            # Byte by byte, and with the local side closing or pinging first.
            write(target, f"{name}-bytewise", bytes([flags[0], 0x01, 0x00]) + stream)
            write(target, f"{name}-close-first", bytes([flags[0], 0x10]) + stream)
        write(target, "pong-fuzz-ping-first", bytes([0, 0x20]) + frame(10, b"fuzz", mask=mask))
        write(target, "wrong-masking", bytes([0, 0]) + frame(1, b"Hello", mask=None if mask else MASK))
        for name, head in HEADERS_ONLY:
            if mask:
                head = bytes([head[0], head[1] | 0x80]) + head[2:] + MASK
            for f in (0x00, 0x08, 0x18, 0x20):
                write(target, f"{name}-f{f:02x}", bytes([f, 0]) + head)


def frame_header_seeds():
    for name, frames, _ in STREAMS:
        op, p, fin, rsv1 = frames[0]
        write("frame_header", name, frame(op, p, fin, rsv1)[:14])
        write("frame_header", name + "-masked", frame(op, p, fin, rsv1, MASK)[:14])
    for name, head in HEADERS_ONLY:
        write("frame_header", name, head)
    write("frame_header", "non-minimal-126", bytes.fromhex("81 7e 0005"))
    write("frame_header", "non-minimal-127", bytes.fromhex("82 ff 0000000000000100 01020304"))


REQUEST_RFC = (
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n"
)

REQUEST_CHROMIUM = (
    "GET /chat HTTP/1.1\r\n"
    "Host: localhost:8888\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://localhost:8888\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n"
)

REQUEST_FIREFOX = (
    "GET /chat HTTP/1.1\r\n"
    "Host: localhost:8888\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
    "Accept: */*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://localhost:8888\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-Fetch-Dest: empty\r\n"
    "Sec-Fetch-Mode: websocket\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "Upgrade: websocket\r\n"
    "\r\n"
)

AUTOBAHN_13_7 = (
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=8; "
    "client_max_window_bits, "
    "permessage-deflate; server_no_context_takeover; client_max_window_bits, "
    "permessage-deflate; client_max_window_bits"
)

REQUEST_AUTOBAHN = (
    "GET / HTTP/1.1\r\n"
    "User-Agent: AutobahnTestSuite/0.8.2-0.10.9\r\n"
    "Host: 127.0.0.1:9001\r\n"
    "Upgrade: WebSocket\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    f"Sec-WebSocket-Extensions: {AUTOBAHN_13_7}\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n"
)

REQUESTS = [
    ("rfc6455", REQUEST_RFC),
    ("chromium", REQUEST_CHROMIUM),
    ("firefox", REQUEST_FIREFOX),
    ("autobahn-13-7", REQUEST_AUTOBAHN),
    ("http10", "GET /ws HTTP/1.0\r\nHost: a\r\n\r\n"),
    ("post", REQUEST_RFC.replace("GET", "POST", 1)),
    ("version-8", REQUEST_RFC.replace("Version: 13", "Version: 8")),
    ("bad-key", REQUEST_RFC.replace(KEY, "short")),
    ("no-host", REQUEST_RFC.replace("Host: server.example.com\r\n", "")),
    ("bare-lf", REQUEST_RFC.replace("\r\n", "\n")),
    ("absolute-form", REQUEST_RFC.replace("/chat", "http://server.example.com/chat")),
    ("quoted-subprotocols", REQUEST_RFC.replace("chat, superchat", '"a,b", c')),
    ("repeated-headers", REQUEST_RFC.replace("Upgrade\r\n", "Upgrade\r\nConnection: close\r\nSec-WebSocket-Protocol: x\r\n")),
]

RESPONSE_RFC = (
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Accept: {ACCEPT}\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n"
)

RESPONSES = [
    ("rfc6455", RESPONSE_RFC),
    ("no-subprotocol", RESPONSE_RFC.replace("Sec-WebSocket-Protocol: chat\r\n", "")),
    ("deflate", RESPONSE_RFC.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")),
    ("deflate-params", RESPONSE_RFC.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; "
                                            "server_no_context_takeover; client_no_context_takeover; "
                                            "server_max_window_bits=10; client_max_window_bits=9\r\n\r\n")),
    ("deflate-twice", RESPONSE_RFC.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n\r\n")),
    ("unoffered-extension", RESPONSE_RFC.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n")),
    ("unoffered-subprotocol", RESPONSE_RFC.replace("chat\r\n", "other\r\n")),
    ("two-subprotocols", RESPONSE_RFC.replace("chat\r\n", "chat, superchat\r\n")),
    ("wrong-accept", RESPONSE_RFC.replace(ACCEPT, "x" + ACCEPT[1:])),
    ("forbidden", "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 35\r\n\r\n"
                  "Cross origin websockets not allowed"),
    ("upgrade-required", "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"),
    ("frames-after", RESPONSE_RFC + "\x81\x05Hello"),
    ("bare-lf", RESPONSE_RFC.replace("\r\n", "\n")),
]


def handshake_seeds():
    for name, head in REQUESTS:
        write("handshake_request", name, b"\x00" + head.encode())
    write("handshake_request", "rfc6455-frames-after", b"\x00" + REQUEST_RFC.encode() + frame(1, b"Hello", mask=MASK))
    write("handshake_request", "chromium-small-limits", b"\x1b" + REQUEST_CHROMIUM.encode())
    write("handshake_request", "firefox-few-headers", b"\x20" + REQUEST_FIREFOX.encode())
    for name, head in RESPONSES:
        write("handshake_response", name, b"\x00" + head.encode("latin-1"))
    write("handshake_response", "rfc6455-small-limits", b"\x13" + RESPONSE_RFC.encode())


# Extended CONNECTs (RFC 8441) as header lists, one `name: value` a line, pseudo-headers
# first, as Chromium and Firefox send them over HTTP/2.
CONNECT_CHROMIUM = [
    (":method", "CONNECT"),
    (":authority", "localhost:8443"),
    (":scheme", "https"),
    (":path", "/chat"),
    (":protocol", "websocket"),
    ("pragma", "no-cache"),
    ("cache-control", "no-cache"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/120.0.0.0 Safari/537.36"),
    ("origin", "https://localhost:8443"),
    ("sec-websocket-version", "13"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-US,en;q=0.9"),
    ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
]

CONNECT_FIREFOX = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":authority", "localhost:8443"),
    (":path", "/chat?room=1"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"),
    ("accept", "*/*"),
    ("sec-websocket-version", "13"),
    ("origin", "https://localhost:8443"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("sec-websocket-extensions", "permessage-deflate"),
    ("sec-fetch-mode", "websocket"),
]


def header_list(fields):
    return "\n".join(f"{name}: {value}" for name, value in fields)


def replaced(fields, name, value):
    """`fields` with `name` set to `value` (removed when None, appended when missing)."""
    out = [(n, v) for n, v in fields if n != name]
    if value is not None:
        out.append((name, value))
    return out


CONNECTS = [
    ("chromium", CONNECT_CHROMIUM),
    ("firefox", CONNECT_FIREFOX),
    ("minimal", [(":method", "CONNECT"), (":protocol", "websocket"), ("sec-websocket-version", "13")]),
    ("no-protocol", replaced(CONNECT_FIREFOX, ":protocol", None)),
    ("webtransport", replaced(CONNECT_FIREFOX, ":protocol", "webtransport")),
    ("protocol-upper", replaced(CONNECT_FIREFOX, ":protocol", "WebSocket")),
    ("get", replaced(CONNECT_FIREFOX, ":method", "GET")),
    ("version-8", replaced(CONNECT_FIREFOX, "sec-websocket-version", "8")),
    ("no-version", replaced(CONNECT_FIREFOX, "sec-websocket-version", None)),
    ("two-versions", CONNECT_FIREFOX + [("sec-websocket-version", "13")]),
    ("quoted-subprotocols", replaced(CONNECT_FIREFOX, "sec-websocket-protocol", '"a,b", c,, d')),
    ("two-subprotocol-headers", CONNECT_FIREFOX + [("sec-websocket-protocol", "x")]),
    ("autobahn-13-7", replaced(CONNECT_FIREFOX, "sec-websocket-extensions", AUTOBAHN_13_7)),
    ("legacy-origin", replaced(replaced(CONNECT_FIREFOX, "origin", None), "sec-websocket-origin", "http://a")),
    ("http1-headers", CONNECT_FIREFOX + [("upgrade", "websocket"), ("connection", "Upgrade"),
                                         ("sec-websocket-key", KEY), ("host", "localhost")]),
]

EXTENSION_VALUES = [
    ("chromium", "permessage-deflate; client_max_window_bits"),
    ("firefox", "permessage-deflate"),
    ("autobahn-13-7", AUTOBAHN_13_7),
    ("quoted", 'permessage-deflate; client_no_context_takeover; server_max_window_bits="10"'),
    ("two-values", "x-webkit-deflate-frame, permessage-deflate\npermessage-deflate; client_max_window_bits=9"),
    ("response", "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"),
    ("server-window-8", "permessage-deflate; server_max_window_bits=8, permessage-deflate"),
    ("unknown-param", "permessage-deflate; foo=bar"),
    ("duplicate-param", "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
    ("empty-elements", " , permessage-deflate ,, "),
    ("escaped", 'x; a="b\\"c"'),
    ("trailing-semicolon", "permessage-deflate;"),
]


def extensions_seeds():
    for name, value in EXTENSION_VALUES:
        write("extensions", name, b"\x00" + value.encode())
    write("extensions", "autobahn-13-7-strict", b"\xff" + AUTOBAHN_13_7.encode())
    write("extensions", "chromium-policy", b"\x4b" + EXTENSION_VALUES[0][1].encode())


def connect_seeds():
    for name, fields in CONNECTS:
        for choices in (0x00, 0x05):
            write("connect_request", f"{name}-c{choices:02x}", bytes([choices]) + header_list(fields).encode())
    # An Origin that is not visible ASCII; a subprotocol not offered; no :method.
    write("connect_request", "origin-obs-text", b"\x04" + header_list(CONNECT_FIREFOX).encode().replace(
        b"https://localhost:8443", b"https://\xfflocalhost", 1))
    write("connect_request", "unoffered-subprotocol", b"\x07" + header_list(CONNECT_FIREFOX).encode())
    write("connect_request", "no-method", b"\x00" + header_list(replaced(CONNECT_FIREFOX, ":method", None)).encode())


def inflate_seeds():
    text = b"".join(b"message %d: Hello, Hello, Hello! " % i for i in range(40))
    messages = deflate([text[:400], text[400:800], text[:400]])
    cases = [
        ("hello", [HELLO_Z]),
        ("hello-twice", [HELLO_Z, HELLO_Z_AGAIN]),
        ("stored", [bytes.fromhex("000500faff48656c6c6f00")]),
        ("bfinal", [bytes.fromhex("f348cdc9c9070000")]),
        ("two-blocks", [bytes.fromhex("f24805000000ffffcac9c90700")]),
        ("empty", [b"\x00"]),
        ("corrupt-btype", [b"\xff\xff\xff"]),
        ("corrupt-nlen", [bytes.fromhex("00050000004865 6c6c6f")]),
        ("back-reference-too-far", [HELLO_Z_AGAIN]),
        ("text-takeover", messages),
        ("bomb", deflate([bytes(1 << 20)])),
    ]
    for name, payloads in cases:
        data = b"".join(payloads)
        # One descriptor per message: its length in 4-byte units would not fit, so the
        # messages go whole as the last frame, or split evenly below.
        for flags, cap in ((0x00, 0x07), (0x61, 0x03), (0x0e, 0x00), (0x90, 0x04)):
            write("inflate", f"{name}-f{flags:02x}-c{cap:02x}", bytes([flags, cap, 0]) + data)
        if len(payloads) > 1 and all(len(p) % 4 == 0 and len(p) < 512 for p in payloads):
            descriptors = bytes(0x80 | (len(p) // 4) for p in payloads)
            write("inflate", f"{name}-messages", bytes([0, 7, len(descriptors)]) + descriptors + data)
    # Fragments of one message: 4 bytes, then the rest.
    write("inflate", "hello-fragmented", bytes([0, 7, 1, 0x01]) + HELLO_Z)
    # Incompressible data at the smallest memory level, for the wire-size check.
    noise = random.Random(6455).randbytes(3000)
    write("inflate", "noise-mem-level-1", bytes([0x6E, 7, 0x00]) + noise)


if __name__ == "__main__":
    receive_seeds()
    frame_header_seeds()
    handshake_seeds()
    connect_seeds()
    extensions_seeds()
    inflate_seeds()
    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(os.path.join(CORPUS, target))))
