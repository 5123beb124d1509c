"""AnyIO 4.14 reference (issue 14, part 3): a shielded fail_after whose own deadline fires while an
outer cancellation is held back raises TimeoutError; the code after a shielded scope runs up to the
next checkpoint. Run: source /work/anyio-env.sh && python3 shielded_fail_after.py
"""
import anyio
from anyio import CancelScope, create_task_group, fail_after, lowlevel


async def main() -> None:
    # the group is cancelled at 0.1 while the task sits in a shielded fail_after(0.2)
    events = []
    try:
        async with create_task_group() as tg:

            async def task() -> None:
                try:
                    with fail_after(0.2, shield=True):
                        await anyio.sleep(1)
                except TimeoutError:
                    events.append("TimeoutError")
                    raise

            tg.start_soon(task)
            await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
    except BaseException as e:  # noqa: BLE001
        events.append(f"group raised {type(e).__name__}: {[type(x).__name__ for x in getattr(e, 'exceptions', [])]}")
    print(events)

    # the code right after a shielded scope runs until the next checkpoint
    log = []
    with CancelScope() as outer:
        with CancelScope(shield=True):
            await anyio.sleep(0.01)
            outer.cancel()
            await anyio.sleep(0.01)
            log.append("inside shield after cancel")
        log.append("after shield, before checkpoint")
        await lowlevel.checkpoint()
        log.append("after checkpoint")
    print(log, "outer caught:", outer.cancelled_caught)


anyio.run(main)
