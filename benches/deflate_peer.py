"""Python websockets' permessage-deflate codec on the payloads squall's bench wrote.

Arguments: payload file, rounds, level, memLevel, compressor window bits, no context
takeover (0 or 1)."""

import sys
import time

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode


def codec(level, mem_level, bits, reset):
    # (remote_no_context_takeover, local_no_context_takeover, remote bits, local bits)
    return PerMessageDeflate(reset, reset, 15, bits, {"level": level, "memLevel": mem_level})


def main():
    payloads = [line.rstrip("\n").encode() for line in open(sys.argv[1], encoding="utf-8")]
    rounds = int(sys.argv[2])
    level, mem_level, bits, reset = map(int, sys.argv[3:7]) if len(sys.argv) > 3 else (6, 8, 15, 0)
    settings = (level, mem_level, bits, bool(reset))
    raw = sum(map(len, payloads))
    compress = inflate = 0.0
    wire = 0
    for _ in range(rounds):
        sender, receiver = codec(*settings), codec(*settings)
        start = time.perf_counter()
        frames = [sender.encode(Frame(Opcode.TEXT, p)) for p in payloads]
        compress += time.perf_counter() - start
        wire = sum(len(f.data) for f in frames)
        start = time.perf_counter()
        out = [receiver.decode(f) for f in frames]
        inflate += time.perf_counter() - start
        assert sum(len(f.data) for f in out) == raw
    mb = raw * rounds / 1e6
    print(f"{mb / compress:.3f} {mb / inflate:.3f} {wire / raw:.4f}")


main()
