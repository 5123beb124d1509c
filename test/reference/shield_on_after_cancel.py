import anyio
from anyio import CancelScope

async def main():
    reached = False
    with CancelScope() as outer:
        with CancelScope() as inner:
            outer.cancel()
            inner.shield = True
            await anyio.sleep(1)
            reached = True
        print("after inner")
    print("reached", reached, "outer caught", outer.cancelled_caught, "inner caught", inner.cancelled_caught)
anyio.run(main)
