"""AnyIO 4.14 reference for test/checkpoint.property.test.ts: runs the property test's programs
(a JSON array on stdin, as `label()` makes them) under AnyIO and prints, for each, its trace, the
`cancelled_caught` of every scope and whether the host's block ran to its end.
The property test's model is checked against it by the test "the model agrees with AnyIO":
  source /work/anyio-env.sh && ANYIO_CROSSCHECK=1 npx vitest run test/checkpoint.property.test.ts
Time is virtual (VirtualTimeLoop), so the run is deterministic and takes no real time so that hundreds of programs run in seconds.
"""
import asyncio
import json
import math
import sys

import anyio
from anyio import CancelScope, Event, create_memory_object_stream, create_task_group, lowlevel


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time that jumps to the next timer when nothing is ready (as the
    property test's `autojump`): deterministic, and timers due together fire together."""

    def __init__(self) -> None:
        super().__init__()
        self._virtual_time = 0.0

    def time(self) -> float:
        return self._virtual_time

    def _run_once(self) -> None:
        if not self._ready and self._scheduled:
            self._virtual_time = max(self._virtual_time, self._scheduled[0]._when)
        super()._run_once()


def sleep_length(kind: str, task: int) -> float:
    """As sleepLength() of the property test: no two tasks wake at the same instant."""
    if kind == "sleepHalf":
        return 0.5 + 0.05 * task
    if kind == "sleepOne":
        return 1 + 0.13 * task
    return 0.3 + 0.07 * task


async def point(kind: str, task: int) -> None:
    if kind == "sleep0":
        await anyio.sleep(0)
    elif kind in ("sleepHalf", "sleepOne", "effectSleep"):
        await anyio.sleep(sleep_length(kind, task))
    elif kind in ("checkpoint", "yieldNow"):
        await lowlevel.checkpoint()
    elif kind == "send":
        send, receive = create_memory_object_stream[int](math.inf)
        with send, receive:
            await send.send(1)
    elif kind == "eventWait":
        event = Event()
        event.set()
        await event.wait()
    elif kind == "ifCancelled":
        await lowlevel.checkpoint_if_cancelled()
    else:
        raise ValueError(kind)


async def run_program(program: dict) -> dict:
    trace: list = []
    caught: dict = {}

    def task(name: str, index: int, ops: list, tg):
        points = 0

        async def block(ops: list, scopes: list) -> None:
            nonlocal points
            for op in ops:
                t = op["t"]
                if t == "step":
                    trace.append({"task": name, "e": "step", "id": op["id"]})
                elif t == "cancel":
                    i = op["level"] % (len(scopes) + 1)
                    if i == 0:
                        trace.append({"task": name, "e": "groupCancel"})
                        if op["via"] == "deadline":
                            tg.cancel_scope.deadline = -math.inf
                        else:
                            tg.cancel_scope.cancel()
                    elif op["via"] == "deadline":
                        scopes[i - 1].deadline = -math.inf
                    else:
                        scopes[i - 1].cancel()
                elif t == "unshield":
                    i = op["level"] % (len(scopes) + 1)
                    if i > 0:
                        scopes[i - 1].shield = False
                elif t == "point":
                    points += 1
                    n = points
                    trace.append({"task": name, "e": "begin", "n": n})
                    await point(op["kind"], index)
                    trace.append({"task": name, "e": "end", "n": n})
                elif t == "scope":
                    scope = CancelScope(shield=op["shield"])
                    try:
                        with scope:
                            await block(op["body"], [*scopes, scope])
                    finally:
                        caught[op["id"]] = scope.cancelled_caught
                else:
                    raise ValueError(t)

        async def run() -> None:
            trace.append({"task": name, "e": "start"})
            await block(ops, [])
            trace.append({"task": name, "e": "done"})

        return run

    completed = False
    async with create_task_group() as tg:
        for i, ops in enumerate(program["children"]):
            tg.start_soon(task(f"c{i}", i + 1, ops, tg))
        await task("h", 0, program["host"], tg)()
        completed = True
    return {"trace": trace, "caught": caught, "completed": completed}


async def main() -> None:
    programs = json.load(sys.stdin)
    results = [await run_program(p) for p in programs]
    json.dump(results, sys.stdout)


anyio.run(main, backend_options={"loop_factory": VirtualTimeLoop})
