"""A 24-hour virtual day on trio's MockClock (autojump_threshold=0), the reference for
test/autojump-scale.test.ts: a 1 s ticker beside nested move_on_afters and 2,000 periodic timers.
Prints the counts and checksums the TypeScript test expects, and the real time it took."""

import sys
import time

import anyio
from trio.testing import MockClock

# python3 autojump_day.py [seconds] [timers]: the day by default; `3600 0` is the hour of issue 20.
DAY = int(sys.argv[1]) if len(sys.argv) > 1 else 86400
TIMERS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


async def main() -> dict:
    start = anyio.current_time()
    r = {"ticks": 0, "inner": 0, "outer": 0, "wakes": 0, "wakeSum": 0}

    async def ticker() -> None:
        for _ in range(DAY):
            await anyio.sleep(1)
            r["ticks"] += 1

    async def nester() -> None:
        while anyio.current_time() - start < max(DAY - 3600, 1):
            with anyio.move_on_after(3599.5) as outer:
                while True:
                    with anyio.move_on_after(60) as inner:
                        await anyio.sleep(90)
                    r["inner"] += inner.cancelled_caught
                    await anyio.sleep(30)
            r["outer"] += outer.cancelled_caught

    async def periodic(k: int) -> None:
        period = (k % 97 + 1) * 127
        while anyio.current_time() - start + period <= DAY:
            await anyio.sleep(period)
            r["wakes"] += 1
            r["wakeSum"] += int(anyio.current_time() - start) % 1000

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        tg.start_soon(nester)
        for k in range(TIMERS):
            tg.start_soon(periodic, k)
    r["end"] = anyio.current_time() - start
    return r


t0 = time.perf_counter()
result = anyio.run(main, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
print(result, f"real {time.perf_counter() - t0:.2f}s")
