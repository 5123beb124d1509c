"""AnyIO's side of bench/net.ts, on asyncio, 127.0.0.1: 16-byte ping-pong (connect_tcp client,
listener.serve echo server), echo of 64 MiB in 64 KiB writes, and 1,000 short connections
through serve (50 in flight; the handler closes the stream).

Prints one JSON object on stdout: {"anyio": version, "python": ..., "figures": {key: ns per op}}.
Exits with status 3 when anyio cannot be imported (the caller then leaves the AnyIO rows out).

Run alone: . /work/anyio-env.sh; python3 bench/anyio_net.py [--n 4000] [--samples 3]
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
    from anyio import connect_tcp, create_task_group, create_tcp_listener
    from anyio.abc import SocketAttribute
except ImportError:
    print("anyio is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

from anyio_info import anyio_version  # noqa: E402 (after the import check)

CHUNK = 64 * 1024
TOTAL = 64 * 1024 * 1024
CONNECTIONS = 1000
IN_FLIGHT = 50
PING = b"\x07" * 16


async def echo(stream) -> None:
    async with stream:
        async for chunk in stream:
            await stream.send(chunk)


async def close_at_once(stream) -> None:
    await stream.aclose()


async def ping_pong(port: int, n: int) -> float:
    async with await connect_tcp("127.0.0.1", port) as s:
        start = time.perf_counter_ns()
        for _ in range(n):
            await s.send(PING)
            got = 0
            while got < len(PING):
                got += len(await s.receive())
        return (time.perf_counter_ns() - start) / n


async def throughput(port: int) -> float:
    writes = TOTAL // CHUNK
    chunk = b"\x00" * CHUNK
    async with await connect_tcp("127.0.0.1", port) as s:
        start = time.perf_counter_ns()

        async def sender() -> None:
            for _ in range(writes):
                await s.send(chunk)

        async with create_task_group() as tg:
            tg.start_soon(sender)
            received = 0
            while received < TOTAL:
                received += len(await s.receive())
        return (time.perf_counter_ns() - start) / writes


async def short_connections(port: int) -> float:
    remaining = CONNECTIONS

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with await connect_tcp("127.0.0.1", port) as s:
                try:
                    await s.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    pass

    start = time.perf_counter_ns()
    async with create_task_group() as tg:
        for _ in range(IN_FLIGHT):
            tg.start_soon(worker)
    return (time.perf_counter_ns() - start) / CONNECTIONS


async def main(n: int, samples: int) -> dict[str, float]:
    echo_listener = await create_tcp_listener(local_host="127.0.0.1")
    close_listener = await create_tcp_listener(local_host="127.0.0.1")
    echo_port = echo_listener.extra(SocketAttribute.local_port)
    close_port = close_listener.extra(SocketAttribute.local_port)
    figures: dict[str, list[float]] = {"ping_pong": [], "echo_64k": [], "accept": []}
    async with create_task_group() as tg:
        tg.start_soon(echo_listener.serve, echo)
        tg.start_soon(close_listener.serve, close_at_once)
        for round_ in range(samples + 1):
            pp = await ping_pong(echo_port, n)
            tp = await throughput(echo_port)
            ac = await short_connections(close_port)
            if round_ > 0:
                figures["ping_pong"].append(pp)
                figures["echo_64k"].append(tp)
                figures["accept"].append(ac)
        tg.cancel_scope.cancel()
    return {k: statistics.median(v) for k, v in figures.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    figures = anyio.run(main, args.n, args.samples, backend="asyncio")
    print(
        json.dumps(
            {"anyio": anyio_version()[0], "python": platform.python_version(), "figures": figures}
        )
    )
