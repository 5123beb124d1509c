/**
 * Issue 13: nested groups against raw nested forks, interleaved, several rounds: the median ratio
 * at depths 100 and 1,000 (a quicker A/B than the bench section).
 * `node_modules/.bin/node --expose-gc bench/probes/nest-ab.ts [rounds]`
 */
import { measure } from "../harness.ts"
import { N_NESTED, nested } from "../workloads.ts"

const rounds = Number(process.argv[2] ?? 9)
for (const depth of [100, 1000]) {
  const [raw, group] = await measure(nested(depth), { n: N_NESTED, samples: rounds })
  console.log(
    `depth ${depth}: raw ${raw!.nsPerOp.toFixed(0)} ns, group ${group!.nsPerOp.toFixed(0)} ns, ratio ${(group!.nsPerOp / raw!.nsPerOp).toFixed(2)}×`
  )
}
