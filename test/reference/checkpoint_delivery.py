"""AnyIO 4.14 reference for issue 14 part 1: a cancellation of the running task lands at its next
checkpoint; the code up to there runs. Run: source /work/anyio-env.sh && python3 checkpoint_delivery.py
"""
import anyio
from anyio import CancelScope, create_task_group, current_effective_deadline, lowlevel


async def main() -> None:
    # a group body that returns right after tg.cancel() returns its value
    async with create_task_group() as tg:
        tg.cancel_scope.cancel()
        value = "value"
    print("group body value:", value, "caught:", tg.cancel_scope.cancelled_caught)

    # a scope that cancels itself as its last step does not catch
    with CancelScope() as s:
        s.cancel()
    print("self-cancel last step caught:", s.cancelled_caught)

    # code after cancel() runs until the next checkpoint
    after = False
    with CancelScope() as s:
        s.cancel()
        after = True
        await lowlevel.checkpoint()
        after2 = True  # noqa: F841 (not reached)
    print("after cancel ran:", after, "caught:", s.cancelled_caught)

    # after a suspension, cancel then plain code: runs, no checkpoint: not caught
    after = False
    with CancelScope() as s:
        await lowlevel.checkpoint()
        s.cancel()
        after = True
    print("after suspension, cancel, code ran:", after, "caught:", s.cancelled_caught)

    # a deadline set into the past while active: cancels at the next checkpoint
    after = False
    with CancelScope() as s:
        await anyio.sleep(0.01)
        s.deadline = anyio.current_time() - 1
        after = True
    print("deadline in past, code ran:", after, "caught:", s.cancelled_caught)

    # checkpoint_if_cancelled raises a pending cancellation
    reached = False
    with CancelScope() as s:
        s.cancel()
        await lowlevel.checkpoint_if_cancelled()
        reached = True
    print("checkpoint_if_cancelled reached after:", reached, "caught:", s.cancelled_caught)

    # current_effective_deadline() right after cancel() reads -inf
    with CancelScope() as s:
        s.cancel()
        print("effective deadline after cancel:", current_effective_deadline())

    # code after a shielded scope runs until the next checkpoint
    ran = False
    with CancelScope() as outer:
        with CancelScope(shield=True):
            outer.cancel()
            await lowlevel.checkpoint()
        ran = True
        await lowlevel.checkpoint()
    print("code after shielded scope ran:", ran, "outer caught:", outer.cancelled_caught)


anyio.run(main)
