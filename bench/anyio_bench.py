"""The benchmark suite's workloads on AnyIO itself (asyncio and trio backends).

Prints one JSON object on stdout: {"python": ..., "anyio": ..., "backends": {name: {key: value}}},
nanoseconds per task/op (median of the samples after a warm-up), or bytes per task for
"heap_per_task". Progress goes to stderr. bench/run.ts runs this with the interpreter that can
import anyio and puts the figures next to effect-anyio's.

AnyIO 4.x from a source tree: put its `src` on PYTHONPATH (or set ANYIO_SRC_DIR; bench/run.ts
adds it to PYTHONPATH), e.g. `. /work/anyio-env.sh`. The version reported is the imported
module's (bench/anyio_info.py); the trio backend is skipped unless trio >= 0.32 is importable.

Run alone: python3 bench/anyio_bench.py [--n 20000] [--samples 3] [--backends asyncio,trio] [--only k1,k2]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
import tracemalloc

try:
    import anyio
    from anyio.lowlevel import checkpoint
except ImportError:  # pragma: no cover - reported to the runner
    print("anyio is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

from anyio_info import anyio_version, trio_status

HOUR = 3600
DEPTH = 1000


async def spawn_trivial(n: int) -> int:
    async def task() -> None:
        pass

    start = time.perf_counter_ns()
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(task)
    return time.perf_counter_ns() - start


async def spawn_yield(n: int) -> int:
    async def task() -> None:
        await checkpoint()

    start = time.perf_counter_ns()
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(task)
    return time.perf_counter_ns() - start


async def cancel_fanout(n: int) -> int:
    started = 0

    async def task() -> None:
        nonlocal started
        started += 1
        await anyio.sleep(HOUR)

    start = 0
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(task)
        while started < n:
            await checkpoint()
        start = time.perf_counter_ns()
        tg.cancel_scope.cancel()
    return time.perf_counter_ns() - start


async def move_on_sync(n: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(n):
        with anyio.move_on_after(10):
            pass
    return time.perf_counter_ns() - start


async def move_on_yield(n: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(n):
        with anyio.move_on_after(10):
            await checkpoint()
    return time.perf_counter_ns() - start


async def _nest(depth: int) -> None:
    if depth == 0:
        return
    async with anyio.create_task_group() as tg:
        tg.start_soon(_nest, depth - 1)


async def nested(n: int) -> int:
    """n levels in all, as n / DEPTH nests DEPTH deep."""
    start = time.perf_counter_ns()
    for _ in range(max(1, n // DEPTH)):
        await _nest(DEPTH)
    return time.perf_counter_ns() - start


def stream(buffer: int):
    async def run(n: int) -> int:
        send, receive = anyio.create_memory_object_stream(buffer)
        total = 0

        async def consumer() -> None:
            nonlocal total
            async with receive:
                for _ in range(n):
                    total += await receive.receive()

        start = time.perf_counter_ns()
        async with anyio.create_task_group() as tg:
            tg.start_soon(consumer)
            async with send:
                for i in range(n):
                    await send.send(i)
        elapsed = time.perf_counter_ns() - start
        assert total == n * (n - 1) // 2, total
        return elapsed

    return run


def uncontended(make):
    async def run(n: int) -> int:
        lock = make()
        start = time.perf_counter_ns()
        for _ in range(n):
            async with lock:
                pass
        return time.perf_counter_ns() - start

    return run


def contended(make, k: int):
    async def run(n: int) -> int:
        lock = make()

        async def worker() -> None:
            for _ in range(n // k):
                async with lock:
                    await checkpoint()

        start = time.perf_counter_ns()
        async with anyio.create_task_group() as tg:
            for _ in range(k):
                tg.start_soon(worker)
        return time.perf_counter_ns() - start

    return run


async def heap_per_task(n: int) -> float:
    """Bytes allocated (tracemalloc) per task while n tasks sleep."""
    started = 0

    async def task() -> None:
        nonlocal started
        started += 1
        await anyio.sleep(HOUR)

    result = 0.0
    gc.collect()
    tracemalloc.start()
    try:
        async with anyio.create_task_group() as tg:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(n):
                tg.start_soon(task)
            while started < n:
                await checkpoint()
            gc.collect()
            result = (tracemalloc.get_traced_memory()[0] - before) / n
            tg.cancel_scope.cancel()
    finally:
        tracemalloc.stop()
    return result


WORKLOADS = {
    "spawn_trivial": spawn_trivial,
    "spawn_yield": spawn_yield,
    "cancel_fanout": cancel_fanout,
    "move_on_sync": move_on_sync,
    "move_on_yield": move_on_yield,
    "nested": nested,
    "stream_0": stream(0),
    "stream_100": stream(100),
    "lock_uncontended": uncontended(anyio.Lock),
    "semaphore_uncontended": uncontended(lambda: anyio.Semaphore(1)),
    "lock_contended_2": contended(anyio.Lock, 2),
    "semaphore_contended_2": contended(lambda: anyio.Semaphore(1), 2),
    "lock_contended_100": contended(anyio.Lock, 100),
    "semaphore_contended_100": contended(lambda: anyio.Semaphore(1), 100),
}


async def suite(
    n: int, samples: int, warmup: int, backend: str, only: set[str] | None
) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, workload in WORKLOADS.items():
        if only is not None and key not in only:
            continue
        t = time.perf_counter()
        times = []
        for i in range(warmup + samples):
            gc.collect()
            elapsed = await workload(n)
            if i >= warmup:
                times.append(elapsed / n)
        out[key] = statistics.median(times)
        print(f"  {backend} {key}: {out[key]:.0f} ns/op ({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    if only is None or "heap_per_task" in only:
        out["heap_per_task"] = await heap_per_task(n)
        print(f"  {backend} heap_per_task: {out['heap_per_task']:.0f} bytes", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--backends", default="asyncio,trio")
    parser.add_argument("--only", default=None, help="comma-separated workload keys (default: all)")
    args = parser.parse_args()
    backends: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    only = None if args.only is None else set(args.only.split(","))
    anyio_ver, anyio_where = anyio_version()
    trio_ver, trio_skip = trio_status()
    print(f"  AnyIO {anyio_ver} ({anyio_where}), trio {trio_ver}", file=sys.stderr)
    for backend in args.backends.split(","):
        if backend == "trio" and trio_skip is not None:
            skipped[backend] = trio_skip
            print(f"  {trio_skip}: trio backend skipped", file=sys.stderr)
            continue
        backends[backend] = anyio.run(suite, args.n, args.samples, args.warmup, backend, only, backend=backend)
    json.dump(
        {
            "python": platform.python_version(),
            "executable": sys.executable,
            "anyio": anyio_ver,
            "anyio_from": anyio_where,
            "trio": trio_ver,
            "n": args.n,
            "samples": args.samples,
            "backends": backends,
            "skipped": skipped,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
