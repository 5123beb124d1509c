# What AnyIO 4.14 (asyncio) reads in tg.cancel_scope after its group exits; test/group-cancel-called.test.ts.
# Run: . /work/anyio-env.sh; python3 test/reference/group_cancel_called.py
# Prints:
#   body: cancel_called True caught False
#   exitwait: cancel_called True caught False
#   fail: ExceptionGroup
#   fail: cancel_called True caught False
#   deadline: cancel_called True caught False outer caught True
#   normal: cancel_called False
import anyio
async def body_case():
    async with anyio.create_task_group() as outer:
        async def inner():
            try:
                async with anyio.create_task_group() as tg:
                    g['tg']=tg
                    await anyio.sleep(10)
            finally:
                print("body: cancel_called", g['tg'].cancel_scope.cancel_called, "caught", g['tg'].cancel_scope.cancelled_caught)
        outer.start_soon(inner)
        await anyio.sleep(0.01); outer.cancel_scope.cancel()
async def exit_case():
    async with anyio.create_task_group() as outer:
        async def inner():
            try:
                async with anyio.create_task_group() as tg:
                    g['tg']=tg
                    tg.start_soon(anyio.sleep, 10)
            finally:
                print("exitwait: cancel_called", g['tg'].cancel_scope.cancel_called, "caught", g['tg'].cancel_scope.cancelled_caught)
        outer.start_soon(inner)
        await anyio.sleep(0.01); outer.cancel_scope.cancel()
async def fail_case():
    async def boom(): raise ValueError("x")
    try:
        async with anyio.create_task_group() as tg:
            g['tg']=tg
            tg.start_soon(boom)
            await anyio.sleep(10)
    except BaseException as e: print("fail:", type(e).__name__)
    print("fail: cancel_called", g['tg'].cancel_scope.cancel_called, "caught", g['tg'].cancel_scope.cancelled_caught)
async def deadline_case():
    with anyio.move_on_after(0.01) as s:
        async with anyio.create_task_group() as tg:
            g['tg']=tg
            tg.start_soon(anyio.sleep, 10)
    print("deadline: cancel_called", g['tg'].cancel_scope.cancel_called, "caught", g['tg'].cancel_scope.cancelled_caught, "outer caught", s.cancelled_caught)
async def normal_case():
    async with anyio.create_task_group() as tg:
        g['tg']=tg
        tg.start_soon(anyio.sleep, 0)
    print("normal: cancel_called", g['tg'].cancel_scope.cancel_called)
g={}
for c in (body_case, exit_case, fail_case, deadline_case, normal_case): anyio.run(c)
