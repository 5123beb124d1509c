"""AnyIO 4.14 reference for issue 14 part 3 (test/checkpoint-bugs.test.ts). Each section prints what
AnyIO does. Run: source /work/anyio-env.sh && python3 checkpoint_bugs.py
"""
import anyio
from anyio import CancelScope, create_task_group, fail_after, get_cancelled_exc_class


def describe(e: BaseException) -> str:
    if isinstance(e, BaseExceptionGroup):
        return f"{type(e).__name__}{[describe(x) for x in e.exceptions]}"
    return type(e).__name__


async def bug1_started_then_fails_while_caller_cancels() -> None:
    # the child calls started(), then fails; the caller of start() cancels the group meanwhile
    for delay in (None, 0):
        async def child(*, task_status) -> None:
            task_status.started(1)
            if delay is not None:
                await anyio.sleep(delay)
            raise ValueError("boom")

        try:
            async with create_task_group() as tg:
                v = await tg.start(child)
                tg.cancel_scope.cancel()
            print("1", delay, "group ok", v)
        except BaseException as e:
            print("1", delay, "group raised", describe(e))

    # the group cancelled by another task before the child began
    async def child2(*, task_status) -> None:
        task_status.started(1)
        raise ValueError("boom")

    try:
        async with create_task_group() as tg:

            async def canceller() -> None:
                tg.cancel_scope.cancel()

            tg.start_soon(canceller)
            await tg.start(child2)
        print("1 cancelled first: group ok")
    except BaseException as e:
        print("1 cancelled first: group raised", describe(e))


# bug 2 (a shielded fail_after whose deadline fires while an outer cancellation is held back):
# test/reference/shielded_fail_after.py


async def bug3_fail_after_cancelled_explicitly_ends_after_deadline() -> None:
    # cancelled explicitly at 0.05; the body catches the cancellation (shielded cleanup) and only
    # ends at 0.2, after the deadline (0.1)
    try:
        with fail_after(0.1) as scope:
            await anyio.sleep(0.05)
            scope.cancel()
            with CancelScope(shield=True):
                await anyio.sleep(0.15)
            await anyio.sleep(0)
        print("3 no error; caught:", scope.cancelled_caught)
    except TimeoutError:
        print("3 TimeoutError")


async def bug4_equal_deadlines() -> None:
    now = anyio.current_time()
    try:
        with CancelScope(deadline=now + 1) as outer:  # move_on_at(1)
            with fail_after(1) as inner:  # fail_at(1): the same deadline
                inner.deadline = outer.deadline
                await anyio.sleep(10)
        print("4 no error; outer caught:", outer.cancelled_caught, "inner caught:", inner.cancelled_caught)
    except TimeoutError:
        print("4 TimeoutError")


async def bug6_empty_group_in_cancelled_scope() -> None:
    log = []
    with CancelScope() as scope:
        scope.cancel()
        try:
            async with create_task_group():
                pass
            log.append("after group")
        except get_cancelled_exc_class():
            log.append("group raised Cancelled")
            raise
    print("6", log, "caught:", scope.cancelled_caught)


async def bug7_handle_cancelling() -> None:
    async with create_task_group() as tg:
        h = tg.create_task(anyio.sleep(10))
        await anyio.sleep(0.01)
        h.cancel()
        s1 = h.status.name
        await h.wait()
        print("7", s1, h.status.name)


async def bug8_reason_names_task() -> None:
    async def canceller(scope: CancelScope) -> None:
        scope.cancel("enough")

    with CancelScope() as scope:
        async with create_task_group() as tg:
            tg.start_soon(canceller, scope, name="the-canceller")
            try:
                await anyio.sleep(1)
            except get_cancelled_exc_class() as e:
                print("8", e.args)
                raise
    print("8 reason:", scope._cancel_reason)


async def main() -> None:
    await bug1_started_then_fails_while_caller_cancels()
    await bug3_fail_after_cancelled_explicitly_ends_after_deadline()
    await bug4_equal_deadlines()
    await bug6_empty_group_in_cancelled_scope()
    await bug7_handle_cancelling()
    await bug8_reason_names_task()


anyio.run(main)
