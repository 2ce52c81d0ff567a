// examples/node-shop: the README's Node service, run as a user runs it (`node server.mjs`,
// importing the installed `recsys` package), on a CSV generated here.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { scratch, triples } from './helpers.js';

const example = resolve(import.meta.dirname, '../../../examples/node-shop');

describe('examples/node-shop', () => {
  let server: ChildProcess;
  let base = '';

  before(async () => {
    const csv = join(scratch(), 'events.csv');
    const t = triples(300, 80, 10);
    writeFileSync(
      csv,
      'user,item,value\n' + t.users.map((u, k) => `${u},${t.items[k]},${t.values[k]}`).join('\n'),
    );
    server = spawn(process.execPath, ['server.mjs'], {
      cwd: example,
      env: { ...process.env, EVENTS: csv, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // wait for the address, then for the first training to finish
    let log = '';
    await new Promise<void>((done, fail) => {
      server.on('exit', (code) => fail(new Error(`the example exited with ${code}: ${log}`)));
      server.stdout!.on('data', (chunk: Buffer) => {
        log += chunk;
        const url = /listening on (http:\S+)/.exec(log);
        if (url) base = url[1];
        if (base && log.includes('trained on')) done();
      });
    });
  });

  after(() => server?.kill());

  test('serves recommendations for known and new users, and similar items', async () => {
    const health = await (await fetch(`${base}/health`)).json();
    assert.deepEqual(health, { status: 'ok', model: 'hybrid' });

    const known = await (await fetch(`${base}/recommendations/3?n=5`)).json();
    assert.equal(known.user, 3);
    assert.equal(known.items.length, 5);
    assert.ok(known.items.every((i: { score: number }) => Number.isFinite(i.score)));

    const stranger = await (await fetch(`${base}/recommendations/nobody?n=5`)).json();
    assert.equal(stranger.items.length, 5, 'a new visitor gets a full list');

    const similar = await (await fetch(`${base}/similar/${known.items[0].id}?n=3`)).json();
    assert.equal(similar.items[0].id, known.items[0].id);

    const missing = await fetch(`${base}/similar/99999`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, 'UNKNOWN_ID');
  });
});
