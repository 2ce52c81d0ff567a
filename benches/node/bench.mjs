// The Node binding's overhead: the same ALS fit and batch recommendation through `recsys` for
// Node and through the Rust crate directly (benches/src/bin/binding_bench.rs), on the same data,
// machine and run. `scripts/bench-node.sh` builds both and runs this; it prints a Markdown
// table of medians and the Node / Rust ratio. The Rust program runs before and after the Node
// loop, and both sides' samples are pooled, so a drift of the machine during the run shows up
// on both sides alike.
//
//   node benches/node/bench.mjs DATA.inter RUST_BINARY [REPS]
import { execFileSync } from 'node:child_process';

import { ALS, Interactions } from '../../bindings/node/dist/index.js';

const [path, rustBinary, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);
if (!path || !rustBinary) {
  console.error('usage: node benches/node/bench.mjs DATA.inter RUST_BINARY [REPS]');
  process.exit(2);
}

const before = JSON.parse(execFileSync(rustBinary, [path, String(reps)], { encoding: 'utf8' }));
const data = Interactions.fromCsv(path, { delimiter: '\t' });
const users = data.userIds();
const fitMs = [];
const batchMs = [];
for (let r = 0; r < reps; r++) {
  const model = new ALS({ factors: 64, iterations: 15, cgSteps: 3, alpha: 1, seed: 42 });
  let t = performance.now();
  await model.fit(data);
  fitMs.push(performance.now() - t);
  for (let b = 0; b < 10; b++) {
    t = performance.now();
    const lists = await model.recommendBatch(users, { n: 10 });
    batchMs.push(performance.now() - t);
    if (lists.length !== users.length) throw new Error('a list per user expected');
  }
}
const runRust = () => JSON.parse(execFileSync(rustBinary, [path, String(reps)], { encoding: 'utf8' }));
const rust = { fit_ms: [], batch_ms: [] };
for (const run of [before, runRust()]) {
  rust.fit_ms.push(...run.fit_ms);
  rust.batch_ms.push(...run.batch_ms);
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const row = (name, node, direct) =>
  `| ${name} | ${median(direct).toFixed(1)} | ${median(node).toFixed(1)} | ${(median(node) / median(direct)).toFixed(3)} |`;
console.log(
  `MovieLens-100K: ${data.nUsers} users, ${data.nItems} items, ${data.nnz} ratings; medians of ${reps} fits and ${10 * reps} batches per side`,
);
console.log('| step | Rust crate (ms) | Node binding (ms) | Node / Rust |');
console.log('| --- | ---: | ---: | ---: |');
console.log(row('ALS fit (64 factors, 15 iterations)', fitMs, rust.fit_ms));
console.log(row(`recommend top 10 for all ${data.nUsers} users (one batch)`, batchMs, rust.batch_ms));
