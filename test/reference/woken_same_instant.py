"""AnyIO 4.14 reference for test/checkpoint.property.test.ts "wake-ups that fall due together":
a task whose sleep ends at the instant another task cancels the group was already woken (its
timer fired in the same loop iteration): it resumes and runs to its next checkpoint.
Run: source /work/anyio-env.sh && python3 woken_same_instant.py
Prints: ['C cancelled', 'S woke']
"""
import anyio
from anyio import create_task_group, lowlevel


async def main() -> None:
    log: list[str] = []
    async with create_task_group() as tg:

        async def canceller() -> None:
            await anyio.sleep(0.05)
            tg.cancel_scope.cancel()
            log.append("C cancelled")

        async def sleeper() -> None:
            await anyio.sleep(0.05)
            log.append("S woke")
            await lowlevel.checkpoint()
            log.append("S after checkpoint")

        tg.start_soon(canceller)
        tg.start_soon(sleeper)
    print(log)


anyio.run(main)
