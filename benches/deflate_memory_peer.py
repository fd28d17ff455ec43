"""Opens N connections with Python `websockets`' default client (which offers
`permessage-deflate; client_max_window_bits`), exchanges M chat-like JSON messages of
150-300 bytes on each (echo checked), prints `open N` and keeps them open until standard
input closes.

    python deflate_memory_peer.py URL CONNS MESSAGES [plain]

With `plain`, the server is expected to decline compression.
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect


def message(i, k):
    words = ["deploy", "looks", "good", "to", "me", "thanks", "ship", "it", "after", "lunch"]
    text = " ".join(words[(i + k + j * 7) % len(words)] for j in range(8 + (i * 31 + k * 17) % 24))
    body = {
        "type": "message",
        "room": ["general", "random", "dev"][(i + k) % 3],
        "user": {"id": 1000 + i, "name": f"user{i}"},
        "id": f"{(i * 7919 + k) * 2654435761 % 2**64:016x}",
        "ts": 1765000000000 + i * 7919 + k,
        "text": text,
    }
    return json.dumps(body, separators=(",", ":"))


async def open_one(url, i, messages, deflate, gate, sockets):
    async with gate:
        ws = await connect(url, max_size=None, ping_interval=None)
        agreed = "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        if agreed != deflate:
            raise RuntimeError(f"permessage-deflate agreed: {agreed}")
        for k in range(messages):
            sent = message(i, k)
            await ws.send(sent)
            if await ws.recv() != sent:
                raise RuntimeError("the echo differs from the message")
        sockets.append(ws)


async def main():
    url, conns, messages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    deflate = sys.argv[4:] != ["plain"]
    gate = asyncio.Semaphore(64)
    sockets = []
    await asyncio.gather(*(open_one(url, i, messages, deflate, gate, sockets) for i in range(conns)))
    print(f"open {len(sockets)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for ws in sockets:
        ws.transport.abort()


asyncio.run(main())
