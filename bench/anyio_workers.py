"""AnyIO's side of bench/workers.ts: to_thread.run_sync (sequential and 8 in flight),
to_process.run_sync on a warm worker, and anyio.Path.read_text of a small file, on asyncio.

Prints one JSON object on stdout: {"anyio": version, "python": ..., "figures": {key: ns per call}}.
Exits with status 3 when anyio cannot be imported (the caller then leaves the AnyIO rows out).

Run alone: . /work/anyio-env.sh; python3 bench/anyio_workers.py [--n 2000] [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time

try:
    import anyio
    from anyio import Path, create_task_group, to_process, to_thread
except ImportError:
    print("anyio is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

from anyio_info import anyio_version


def echo(x: object) -> object:
    return x


async def thread_sequential(n: int) -> float:
    start = time.perf_counter_ns()
    for i in range(n):
        await to_thread.run_sync(echo, i)
    return (time.perf_counter_ns() - start) / n


async def thread_in_flight(n: int, width: int = 8) -> float:
    async def chain(k: int) -> None:
        for i in range(k):
            await to_thread.run_sync(echo, i)

    start = time.perf_counter_ns()
    async with create_task_group() as tg:
        for _ in range(width):
            tg.start_soon(chain, n // width)
    return (time.perf_counter_ns() - start) / (n // width * width)


async def process_warm(n: int) -> float:
    start = time.perf_counter_ns()
    for i in range(n):
        await to_process.run_sync(echo, i)
    return (time.perf_counter_ns() - start) / n


async def read_text(n: int, path: Path) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        await path.read_text()
    return (time.perf_counter_ns() - start) / n


async def main(n: int, samples: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.txt"
        await small.write_text("hello world\n" * 20)
        # Warm-up: threads and the worker process started.
        await thread_sequential(50)
        await thread_in_flight(80)
        await process_warm(20)
        workloads = {
            "thread_sequential": lambda: thread_sequential(n),
            "thread_in_flight_8": lambda: thread_in_flight(n),
            "process_warm": lambda: process_warm(max(n // 4, 100)),
            "path_read_text": lambda: read_text(n, small),
        }
        out: dict[str, float] = {}
        for key, workload in workloads.items():
            out[key] = statistics.median([await workload() for _ in range(samples)])
            print(f"  asyncio {key}: {out[key]:.0f} ns/op", file=sys.stderr)
        return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    figures = anyio.run(main, args.n, args.samples, backend="asyncio")
    print(
        json.dumps(
            {"anyio": anyio_version()[0], "python": platform.python_version(), "figures": figures}
        )
    )
