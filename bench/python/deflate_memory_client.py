"""Memory cell client: opens N connections with Python `websockets`' default client (which
offers `permessage-deflate; client_max_window_bits`), exchanges one chat-like JSON message
on each (sent compressed, echo checked), keeps them open and prints `open N`; closes them
all when standard input closes.

    python deflate_memory_client.py --url ws://127.0.0.1:PORT/ --conns 2000
"""

import argparse
import asyncio
import json
import sys

from websockets.asyncio.client import connect

# Handshakes in flight at once, as the generator's other cells.
CONCURRENCY = 64


def message(i):
    """A chat-like JSON message of 150-300 bytes, different for each connection."""
    text = " ".join(["deploy", "looks", "good", "to", "me", "thanks"][: 1 + i % 6] * (1 + i % 5))
    body = {
        "type": "message",
        "room": ["general", "random", "dev"][i % 3],
        "user": {"id": 1000 + i, "name": f"user{i}"},
        "id": f"{i * 2654435761 % 2**64:016x}",
        "ts": 1765000000000 + i * 7919,
        "text": text,
    }
    out = json.dumps(body, separators=(",", ":"))
    return out + " " * max(0, 150 - len(out))


async def open_one(url, i, gate, sockets):
    async with gate:
        ws = await connect(url, max_size=64 * 1024 * 1024, ping_interval=None)
        if "permessage-deflate" not in (ws.response.headers.get("Sec-WebSocket-Extensions") or ""):
            raise RuntimeError("the server declined permessage-deflate")
        sent = message(i)
        await ws.send(sent)
        echo = await ws.recv()
        if echo != sent:
            raise RuntimeError("the echo differs from the message")
        sockets.append(ws)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--conns", type=int, default=2000)
    args = parser.parse_args()
    gate = asyncio.Semaphore(CONCURRENCY)
    sockets = []
    await asyncio.gather(*(open_one(args.url, i, gate, sockets) for i in range(args.conns)))
    print(f"open {len(sockets)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for ws in sockets:
        ws.transport.abort()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as error:  # reported to the runner on stderr, and by the exit code
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
