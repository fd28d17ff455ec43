"""Python websockets' permessage-deflate codec on the payloads squall's bench wrote."""

import sys
import time

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode


def codec():
    return PerMessageDeflate(False, False, 15, 15, {"level": 6, "memLevel": 8})


def main():
    payloads = [line.rstrip("\n").encode() for line in open(sys.argv[1], encoding="utf-8")]
    rounds = int(sys.argv[2])
    raw = sum(map(len, payloads))
    compress = inflate = 0.0
    wire = 0
    for _ in range(rounds):
        sender, receiver = codec(), codec()
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
