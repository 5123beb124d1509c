/**
 * The demo of AnyIO's "Creating and managing tasks", ported. Run it with `npm start`.
 *
 * Five tasks print "Task N running", sleep one second, print "Task N finished"; then the group has
 * waited for all of them and the program prints "All tasks finished!" (about 1 s in all).
 */
import { Effect } from "effect"
import { createTaskGroup, run, sleep } from "../src/index.ts"

const sometask = (num: number) =>
  Effect.gen(function* () {
    console.log("Task", num, "running")
    yield* sleep(1)
    console.log("Task", num, "finished")
  })

export const main = Effect.gen(function* () {
  yield* createTaskGroup((tg) =>
    Effect.gen(function* () {
      for (let num = 0; num < 5; num++) {
        yield* tg.spawn(sometask, num)
      }
    })
  )
  console.log("All tasks finished!")
})

if (import.meta.main) run(main)
