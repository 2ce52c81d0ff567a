import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ALS, Interactions, Popularity, type FitProgress } from '../lib/index.js';
import { codeOf, data, scratch } from './helpers.js';

const options = { factors: 8, iterations: 6, regularization: 0.05, seed: 7 };

describe('ALS', () => {
  test('fits, recommends in the caller ids, filters seen items', async () => {
    const train = data();
    const model = await new ALS(options).fit(train);
    assert.ok(model.isFitted);
    assert.equal(model.kind, 'als');
    const recs = model.recommend(3, { n: 5 });
    assert.equal(recs.ids.length, 5);
    assert.ok(recs.scores instanceof Float32Array);
    const scores = [...recs.scores];
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
    const csr = train.toCsr();
    const row = train.userIds().indexOf(3);
    const itemIds = train.itemIds();
    const seen = new Set(
      Array.from(csr.indices.slice(csr.indptr[row], csr.indptr[row + 1])).map((c) => itemIds[c]),
    );
    for (const id of recs.ids) assert.ok(!seen.has(id), `item ${id} was seen`);
    const all = model.recommend(3, { n: 100, filterSeen: false });
    assert.equal(all.ids.length, train.nItems);
  });

  test('a count that is not a whole number >= 0 is refused by name', () => {
    for (const [options, name] of [
      [{ iterations: -1 }, 'iterations'],
      [{ factors: 2.5 }, 'factors'],
      [{ cgSteps: -2 }, 'cgSteps'],
    ] as const) {
      assert.throws(() => new ALS(options), {
        code: 'INVALID_ARGUMENT',
        message: new RegExp(`^${name} must be a whole number >= 0`),
      });
    }
  });

  test('exclude and items restrict the list', async () => {
    const model = await new ALS(options).fit(data());
    const top = model.recommend(1, { n: 3 });
    const without = model.recommend(1, { n: 3, exclude: [top.ids[0]] });
    assert.ok(!without.ids.includes(top.ids[0]));
    const among = model.recommend(1, { n: 10, items: [top.ids[1], top.ids[2]], filterSeen: false });
    assert.deepEqual(new Set(among.ids), new Set([top.ids[1], top.ids[2]]));
  });

  test('recommendBatch agrees with recommend, for plain and typed user arrays', async () => {
    const model = await new ALS(options).fit(data());
    const lists = await model.recommendBatch([0, 1, 2], { n: 4 });
    const typed = await model.recommendBatch(Int32Array.from([0, 1, 2]), { n: 4 });
    assert.deepEqual(lists, typed);
    lists.forEach((list, u) => {
      assert.deepEqual(list.ids, model.recommend(u, { n: 4 }).ids);
    });
  });

  test('similar items and users include the query first; factors have the trained shape', async () => {
    const train = data();
    const model = await new ALS(options).fit(train);
    const items = model.similarItems(5, { n: 4 });
    assert.equal(items.ids[0], 5);
    assert.ok(Math.abs(items.scores[0] - 1) < 1e-5);
    const users = model.similarUsers(2, { n: 3 });
    assert.equal(users.ids[0], 2);
    const others = model.similarUsers(2, { n: 3, exclude: [2] });
    assert.ok(!others.ids.includes(2) && others.ids.length === 3);
    const among = model.similarUsers(2, { n: 3, users: [1, 3] });
    assert.deepEqual([...among.ids].sort(), [1, 3]);
    assert.deepEqual(
      [model.userFactors.rows, model.userFactors.dim, model.userFactors.data.length],
      [train.nUsers, 8, train.nUsers * 8],
    );
    assert.equal(model.itemFactors.rows, train.nItems);
  });

  test('a new user folds in from their items; recalculateUser recommends for them', async () => {
    const model = await new ALS(options).fit(data());
    const vector = model.foldInUser([1, 2, 3], [1, 2, 1]);
    assert.equal(vector.length, 8);
    assert.ok(vector.every(Number.isFinite));
    const history = Interactions.fromTriples(['new', 'new', 'new'], [1, 2, 3], [1, 2, 1]);
    const recs = model.recommend('new', { n: 5, userItems: history, recalculateUser: true });
    assert.equal(recs.ids.length, 5);
    for (const seen of [1, 2, 3]) assert.ok(!recs.ids.includes(seen));
    assert.equal(codeOf(() => model.recommend('new', { n: 5 })), 'UNKNOWN_ID');
  });

  test('onProgress gets every iteration with its time and loss', async () => {
    const seen: FitProgress[] = [];
    await new ALS({ ...options, calculateLoss: true }).fit(data(), {
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(
      seen.map((p) => p.iteration),
      [0, 1, 2, 3, 4, 5],
    );
    for (const p of seen) {
      assert.equal(p.iterations, 6);
      assert.ok(p.elapsedMs >= 0);
      assert.ok(typeof p.loss === 'number' && p.loss > 0);
    }
  });

  test('an exception in onProgress stops the fit and is its rejection', async () => {
    const model = new ALS({ ...options, iterations: 50 });
    await assert.rejects(
      model.fit(data(), {
        onProgress: () => {
          throw new Error('stop here');
        },
      }),
      /stop here/,
    );
    assert.ok(!model.isFitted, 'a stopped fit leaves the model as it was');
  });

  test('an AbortSignal stops the fit (ABORTED) and keeps the previous model', async () => {
    const train = data(10, 8, 3);
    // many cheap iterations: the abort lands long before the last one
    const model = await new ALS({ factors: 4, iterations: 20000, seed: 5 }).fit(train);
    const before = model.recommend(1, { n: 3 });
    const controller = new AbortController();
    const fit = model.fit(data(10, 8, 4), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.iteration === 0) controller.abort();
      },
    });
    await assert.rejects(fit, { code: 'ABORTED', name: 'AbortError' });
    assert.deepEqual(model.recommend(1, { n: 3 }), before);
    await assert.rejects(model.fit(train, { signal: AbortSignal.abort() }), {
      code: 'ABORTED',
      name: 'AbortError',
    });
  });

  test('the event loop keeps running while fit trains', async () => {
    const train = data(20000, 2000, 40);
    const model = new ALS({ factors: 64, iterations: 10, seed: 1 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    try {
      await model.fit(train);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    // a fit on the event loop would block the timer until it ends, and the await resumes (a
    // microtask) before any timer could fire: the ticks counted here happened during the fit
    assert.ok(ticks >= 5, `the timer fired ${ticks} times in ${took.toFixed(0)} ms of fitting`);
  });

  test('recommend answers from the previous model while a refit runs', async () => {
    const train = data(5000, 500, 30);
    const model = await new ALS({ factors: 16, iterations: 1, seed: 3 }).fit(train);
    const before = model.recommend(7, { n: 5 });
    const refit = model.fit(data(5000, 500, 20));
    assert.deepEqual(model.recommend(7, { n: 5 }), before);
    await refit;
    assert.ok(model.isFitted);
  });

  test('save / load and toBuffer / fromBuffer round-trip exactly', async () => {
    const model = await new ALS(options).fit(data());
    const dir = scratch();
    const path = join(dir, 'als.model');
    model.save(path);
    const loaded = ALS.load(path);
    const fromBytes = ALS.fromBuffer(model.toBuffer());
    assert.deepEqual(loaded.userFactors, model.userFactors);
    assert.deepEqual(fromBytes.itemFactors, model.itemFactors);
    assert.ok(Buffer.from(readFileSync(path)).equals(model.toBuffer()));
    // a loaded model has no training data: pass the interactions to filter with
    assert.deepEqual(
      loaded.recommend(3, { n: 5, userItems: data() }),
      model.recommend(3, { n: 5 }),
    );
    // without them, a list that leaves out what the user has is an error, never another list
    const needsHistory = { code: 'INVALID_ARGUMENT', message: /pass userItems/ };
    assert.throws(() => loaded.recommend(3, { n: 5 }), needsHistory);
    assert.throws(() => fromBytes.recommend(3, { n: 5, recalculateUser: true, filterSeen: false }), {
      code: 'INVALID_ARGUMENT',
      message: /recalculateUser/,
    });
    await assert.rejects(loaded.recommendBatch([3, 4], { n: 5 }), needsHistory);
    // a factor model that is not asked to filter answers from its factors alone, as before
    assert.deepEqual(
      loaded.recommend(3, { n: 5, filterSeen: false }),
      model.recommend(3, { n: 5, filterSeen: false }),
    );
  });

  test('errors: settings, unknown ids, unfitted models, damaged and foreign files', async () => {
    assert.equal(codeOf(() => new ALS({ factors: 0 })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new ALS({ regularization: -1 })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new ALS({ solver: 'newton' })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new ALS({ seed: -3 })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new ALS().recommend(1)), 'NOT_FITTED');
    const model = await new ALS(options).fit(data());
    assert.equal(codeOf(() => model.recommend(12345)), 'UNKNOWN_ID');
    assert.equal(codeOf(() => model.similarItems('nope')), 'UNKNOWN_ID');
    assert.equal(codeOf(() => model.recommend({} as never)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => model.recommend(1.5)), 'INVALID_ARGUMENT');
    const bytes = model.toBuffer();
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 10] ^= 0xff;
    assert.equal(codeOf(() => ALS.fromBuffer(damaged)), 'CORRUPT_MODEL');
    assert.equal(codeOf(() => ALS.fromBuffer(bytes.subarray(0, 20))), 'CORRUPT_MODEL');
    assert.equal(codeOf(() => Popularity.fromBuffer(bytes)), 'CORRUPT_MODEL');
    const path = join(scratch(), 'junk.model');
    writeFileSync(path, 'not a model');
    assert.equal(codeOf(() => ALS.load(path)), 'CORRUPT_MODEL');
    assert.equal(codeOf(() => ALS.load(join(scratch(), 'missing.model'))), 'IO');
    assert.equal(codeOf(() => model.save('/nonexistent/dir/x.model')), 'IO');
  });
});
