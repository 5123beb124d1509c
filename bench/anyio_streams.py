"""AnyIO's side of bench/streams.ts: BufferedByteReceiveStream.receive_until(b"\\n", 65536)
splitting the same bytes (1,000 distinct lines of 20-180 bytes, cycled, cut at --mib MiB, in
64 KiB chunks from a trivial object stream) into lines, on asyncio.

Prints one JSON object on stdout: {"anyio", "python", "lines", "nsPerLine"} (median of --samples).
Exits with status 3 when anyio cannot be imported (the caller then leaves the AnyIO row out).

Run alone: . /work/anyio-env.sh; python3 bench/anyio_streams.py [--mib 64] [--samples 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

try:
    import anyio
    from anyio import EndOfStream, IncompleteRead
    from anyio.abc import ObjectReceiveStream
    from anyio.streams.buffered import BufferedByteReceiveStream
except ImportError:
    print("anyio is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

from anyio_info import anyio_version  # noqa: E402 (after the import check)

CHUNK = 65536


def make_data(size: int) -> bytes:
    lines = []
    for k in range(1000):
        length = 20 + (k * 7919) % 161
        lines.append(bytes(97 + (k + j) % 26 for j in range(length)) + b"\n")
    block = b"".join(lines)
    return (block * (size // len(block) + 1))[:size]


class Chunks(ObjectReceiveStream[bytes]):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self._i = 0

    async def receive(self) -> bytes:
        if self._i >= len(self._chunks):
            raise EndOfStream
        self._i += 1
        return self._chunks[self._i - 1]

    async def aclose(self) -> None:
        pass


async def split(chunks: list[bytes]) -> tuple[int, int]:
    stream = BufferedByteReceiveStream(Chunks(chunks))
    lines = 0
    start = time.perf_counter_ns()
    try:
        while True:
            await stream.receive_until(b"\n", 65536)
            lines += 1
    except IncompleteRead:
        pass
    return lines, time.perf_counter_ns() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    data = make_data(args.mib * 1024 * 1024)
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    times = []
    lines = 0
    for _ in range(args.samples):
        lines, ns = anyio.run(split, chunks, backend="asyncio")
        times.append(ns / lines)
    print(
        json.dumps(
            {
                "anyio": anyio_version()[0],
                "python": platform.python_version(),
                "lines": lines,
                "nsPerLine": statistics.median(times),
            }
        )
    )


if __name__ == "__main__":
    main()
