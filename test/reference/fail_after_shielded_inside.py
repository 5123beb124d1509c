"""AnyIO 4.14 reference: fail_after whose deadline fires while its body sits in a shielded scope.
The body is not interrupted (shielded); once it leaves the shield, the next checkpoint raises the
pending cancellation, the fail_after scope catches it and raises TimeoutError. Without a checkpoint
after the shield, nothing is caught: no TimeoutError.
Run: source /work/anyio-env.sh && python3 fail_after_shielded_inside.py
"""
import anyio
from anyio import CancelScope, fail_after, lowlevel


async def main() -> None:
    for checkpoint_after in (False, True):
        try:
            with fail_after(0.1) as s:
                with CancelScope(shield=True):
                    await anyio.sleep(0.2)
                if checkpoint_after:
                    await lowlevel.checkpoint()
            print(checkpoint_after, "no error; caught:", s.cancelled_caught)
        except TimeoutError:
            print(checkpoint_after, "TimeoutError")


anyio.run(main)
