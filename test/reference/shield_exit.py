import math
import anyio
from anyio import CancelScope, create_task_group, current_effective_deadline, lowlevel

async def main():
    seen = []
    try:
        async with create_task_group() as tg:
            try:
                with CancelScope(shield=True):
                    tg.cancel_scope.cancel()
                    seen.append(current_effective_deadline())
                    await lowlevel.checkpoint()
                    seen.append("after checkpoint in shield")
                seen.append("after shield")
                await anyio.sleep(0.01)
                seen.append("after sleep")
            finally:
                seen.append(current_effective_deadline())
    finally:
        print(seen)
anyio.run(main)
