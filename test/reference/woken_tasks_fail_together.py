"""Two tasks woken by the same event (or by timers due at the same time) that then both fail: AnyIO
reports both failures in the ExceptionGroup, because a task whose wait already completed is not
cancelled by the first failure (asyncio: `_deliver_cancellation` skips a task whose `_fut_waiter` is
done; it runs to its next checkpoint and raises). Found while checking issue 15; effect-anyio reports
only the first (1 member) on main at 0f3bce6: the woken task is interrupted before it runs.
Prints `event 2` on both backends; `timers 2` on asyncio (its loop runs every timer due within its
clock resolution at once) and `timers 1` on trio (the two real-time deadlines differ by microseconds,
so the second task is still asleep when the first fails): the event case is the one to compare."""

import anyio


async def event_case() -> int:
    ev = anyio.Event()

    async def worker(i: int) -> None:
        await ev.wait()
        raise ValueError(i)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker, 1)
            tg.start_soon(worker, 2)
            await anyio.sleep(0.01)
            ev.set()
    except ExceptionGroup as eg:
        return len(eg.exceptions)
    return 0


async def timers_case() -> int:
    async def worker(i: int) -> None:
        await anyio.sleep(1)
        raise ValueError(i)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker, 1)
            tg.start_soon(worker, 2)
    except ExceptionGroup as eg:
        return len(eg.exceptions)
    return 0


async def main() -> None:
    print("event", await event_case())
    print("timers", await timers_case())


for backend in ("asyncio", "trio"):
    try:
        print(backend)
        anyio.run(main, backend=backend)
    except ModuleNotFoundError as e:
        print(f"  ({e})")
