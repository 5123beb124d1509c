"""AnyIO 4.14 reference for test/mutation-scope-rules.test.ts "a deadline moved past the exit during
the cleanup: no TimeoutError": a fail_after whose deadline fires, then is moved later during the
body's cleanup, raises no TimeoutError (the deadline is read at exit).

Run: source /work/anyio-env.sh && python3 test/reference/fail_after_deadline_moved.py
Prints: no TimeoutError True
"""

import anyio


async def main() -> None:
    try:
        with anyio.fail_after(1) as s:
            try:
                await anyio.sleep(5)
            except anyio.get_cancelled_exc_class():
                s.deadline = anyio.current_time() + 100
                raise
        print("no TimeoutError", s.cancelled_caught)
    except TimeoutError:
        print("TimeoutError")


anyio.run(main)
