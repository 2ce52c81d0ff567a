// The README's Node quickstart runs as written (with `recsys` pointing at this package and a
// generated events.csv in a scratch folder).
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { scratch, triples } from './helpers.js';

test("the README's Node quickstart runs", async () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart (Node)'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the README has a ts block under "Quickstart (Node)"');
  const dir = scratch();
  const t = triples(200, 90, 10);
  writeFileSync(
    join(dir, 'events.csv'),
    'user,item,value\n' +
      t.users.map((u, k) => `${u},${t.items[k]},${t.values[k]}`).join('\n') +
      '\n42,espresso,1\n',
  );
  // beside the tests, so that it resolves this package's modules
  const file = resolve(import.meta.dirname, '.readme-quickstart.tmp.ts');
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
});
