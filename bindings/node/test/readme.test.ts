// The documentation's Node code runs as written (with `recsys` pointing at this package, in a
// scratch folder holding a generated events.csv): the README's, docs/node.md's and this package's.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { scratch, triples } from './helpers.js';

let blocksRun = 0;

/** Runs `code` (a README's TypeScript block) as a module of this package, in `dir`. */
async function runBlock(code: string, dir: string): Promise<void> {
  // beside the tests, so that it resolves this package's modules; a new name for each block, as
  // a module is evaluated once per URL
  const file = resolve(import.meta.dirname, `.readme-${++blocksRun}.tmp.ts`);
  writeFileSync(file, code.replaceAll("from 'recsys'", "from '../lib/index.js'"));
  const cwd = process.cwd();
  const log = console.log;
  process.chdir(dir);
  console.log = () => {};
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    process.chdir(cwd);
    rmSync(file, { force: true });
  }
}

const root = resolve(import.meta.dirname, '../../..');

/** The ```ts blocks of a page (a block tagged ```ts no-run is deliberately not run). */
function tsBlocks(text: string): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

for (const page of ['README.md', 'docs/node.md', 'bindings/node/README.md']) {
  test(`the TypeScript of ${page} runs`, async () => {
    const blocks = tsBlocks(readFileSync(join(root, page), 'utf8'));
    assert.ok(blocks.length > 0, `${page} has ts blocks`);
    const dir = scratch();
    const t = triples(200, 90, 10);
    writeFileSync(
      join(dir, 'events.csv'),
      'user,item,value\n' +
        t.users.map((u, k) => `${u},${t.items[k]},${t.values[k]}`).join('\n') +
        '\n42,espresso,1\n',
    );
    for (const code of blocks) await runBlock(code, dir);
    assert.ok(existsSync(join(dir, 'als.recsys')), 'the example saved its model');
  });
}

test('blocks are found and no-run blocks skipped', () => {
  const text = '```ts\nx\n```\n```bash\nls\n```\n```ts no-run\nz\n```\n```ts\ny\n```\n';
  assert.deepEqual(tsBlocks(text), ['x\n', 'y\n']);
});
