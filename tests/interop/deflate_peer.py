"""An independent permessage-deflate peer (Python `websockets`) for squall's interop tests.

    deflate_peer.py client URL     connect once per parameter combination, echo-check
                                   messages, print one JSON line per combination
    deflate_peer.py server         serve an echo server with each combination in turn on
                                   127.0.0.1; print "port N" and, per connection, the
                                   negotiated extension

Exits non-zero if any exchange did not round-trip.
"""

import itertools
import json
import sys
import threading

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.sync.client import connect
from websockets.sync.server import serve

MESSAGES = [
    "hello",
    "",
    "é€" * 50,
    ("lorem ipsum dolor sit amet " * 400),
    bytes(range(256)) * 64,
    b"\x00" * 100_000,
]


def combinations():
    for snct, cnct, smwb, cmwb in itertools.product(
        [False, True], [False, True], [None, 9, 12, 15], [None, True, 9, 15]
    ):
        yield {
            "server_no_context_takeover": snct,
            "client_no_context_takeover": cnct,
            "server_max_window_bits": smwb,
            "client_max_window_bits": cmwb,
        }


def run_client(url):
    failures = 0
    for params in combinations():
        factory = ClientPerMessageDeflateFactory(**params)
        with connect(url, extensions=[factory], compression=None, max_size=None) as ws:
            negotiated = ws.response.headers.get("Sec-WebSocket-Extensions")
            ok = negotiated is not None and negotiated.startswith("permessage-deflate")
            for round_ in range(3):  # several rounds exercise context takeover
                for message in MESSAGES:
                    ws.send(message)
                    echo = ws.recv()
                    if echo != message:
                        ok = False
        print(json.dumps({"params": params, "negotiated": negotiated, "ok": ok}), flush=True)
        failures += not ok
    return failures


def run_server():
    failures = 0
    params_list = list(combinations())
    # The server side takes at most a value for client_max_window_bits, never a bare True.
    for params in params_list:
        if params["client_max_window_bits"] is True:
            params["client_max_window_bits"] = None
    state = {"index": 0}

    def handler(ws):
        for message in ws:
            ws.send(message)

    for params in params_list:
        factory = ServerPerMessageDeflateFactory(**params)
        with serve(handler, "127.0.0.1", 0, extensions=[factory], compression=None, max_size=None) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            port = server.socket.getsockname()[1]
            print(json.dumps({"port": port, "params": params}), flush=True)
            line = sys.stdin.readline()  # the squall client reports back, then we move on
            result = json.loads(line) if line.strip() else {"ok": False}
            failures += not result.get("ok", False)
            state["index"] += 1
            server.shutdown()
    return failures


if __name__ == "__main__":
    mode = sys.argv[1]
    failed = run_client(sys.argv[2]) if mode == "client" else run_server()
    sys.exit(1 if failed else 0)
