"""AnyIO's side of bench/process.ts: run_process(["true"]) and open_process(["true"]) + wait(),
sequential, on asyncio; plus the cost of Python's own spawn (subprocess.Popen) for reference.

Prints one JSON object on stdout: {"anyio": version, "python": ..., "figures": {key: ns per process}}.
Exits with status 3 when anyio cannot be imported (the caller then leaves the AnyIO rows out).

Run alone: . /work/anyio-env.sh; python3 bench/anyio_process.py [--n 200] [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

try:
    import anyio
    from anyio import open_process, run_process
except ImportError:
    print("anyio is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

from anyio_info import anyio_version  # noqa: E402 (after the import check)


async def run_true(n: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        await run_process(["true"])
    return (time.perf_counter_ns() - start) / n


async def open_true(n: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        async with await open_process(["true"]) as process:
            await process.wait()
    return (time.perf_counter_ns() - start) / n


async def popen_call(n: int) -> float:
    # Only the synchronous Popen() call (fork/exec in the caller), as bench/process.ts measures
    # Node's spawn() call.
    total = 0
    for _ in range(n):
        start = time.perf_counter_ns()
        p = subprocess.Popen(["true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        total += time.perf_counter_ns() - start
        p.communicate()
    return total / n


async def main(n: int, samples: int) -> dict[str, float]:
    await run_true(10)
    workloads = {
        "run_process_true": lambda: run_true(n),
        "open_process_true": lambda: open_true(n),
        "popen_call": lambda: popen_call(n),
    }
    out: dict[str, float] = {}
    for key, workload in workloads.items():
        out[key] = statistics.median([await workload() for _ in range(samples)])
        print(f"  asyncio {key}: {out[key] / 1e6:.2f} ms/process", file=sys.stderr)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    figures = anyio.run(main, args.n, args.samples, backend="asyncio")
    print(
        json.dumps(
            {"anyio": anyio_version()[0], "python": platform.python_version(), "figures": figures}
        )
    )
