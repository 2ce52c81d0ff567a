// One contract every recommender class runs, as Python's RecommenderContract
// (bindings/python/tests/test_recommender_contract.py): recommend one and many, filters,
// candidate lists, n = 0, save/load, damaged bytes and missing files, unfitted use, bad input.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  ALS,
  ContentRecommender,
  Hybrid,
  Interactions,
  Popularity,
  type Recommender,
} from '../lib/index.js';
import { codeOf, data, rejectionCode, scratch } from './helpers.js';

const ITEMS = 40;
const catalog = Array.from({ length: ITEMS }, (_, i) => ({
  id: i,
  title: `item ${i} group${i % 4}`,
  description: `word${i % 7} word${i % 5} shared`,
}));

/**
 * `learnsFrom`: `'interactions'` refuses a fit on none; `'catalog'` (content) fits without them,
 * as the core's conformance suite says.
 */
function recommenderContract(
  name: string,
  make: () => Recommender,
  learnsFrom: 'interactions' | 'catalog' = 'interactions',
) {
  describe(`${name}: the recommender contract`, () => {
    const train = data(60, ITEMS, 8);
    const fitted = async () => make().fit(train);
    const seenBy = (user: number): Set<number> => {
      const csr = train.toCsr();
      const row = train.userIds().indexOf(user);
      const ids = train.itemIds();
      return new Set(
        Array.from(csr.indices.slice(csr.indptr[row], csr.indptr[row + 1])).map((c) => Number(ids[c])),
      );
    };

    test('one user: n ranked items, each once, none already seen', async () => {
      const model = await fitted();
      const { ids, scores } = model.recommend(3, { n: 10 });
      assert.equal(ids.length, 10);
      assert.equal(scores.length, 10);
      assert.ok(scores.every((s, i) => i === 0 || scores[i - 1] >= s), 'best first');
      assert.equal(new Set(ids).size, 10);
      const seen = seenBy(3);
      assert.ok(ids.every((id) => !seen.has(Number(id))), 'seen items are left out by default');
    });

    test('a batch agrees with one call per user, and a user twice gets one list', async () => {
      const model = await fitted();
      const users = [5, 0, 17, 42, 5];
      const lists = await model.recommendBatch(users, { n: 7 });
      assert.equal(lists.length, users.length);
      users.forEach((u, k) => assert.deepEqual(lists[k].ids, model.recommend(u, { n: 7 }).ids));
      assert.deepEqual(lists[0], lists[4]);
    });

    test('without the filter seen items come back', async () => {
      const model = await fitted();
      const { ids } = model.recommend(1, { n: ITEMS, filterSeen: false });
      const got = new Set(ids.map(Number));
      for (const item of seenBy(1)) assert.ok(got.has(item), `seen item ${item} is missing`);
    });

    test('exclude leaves items out; items ranks only those', async () => {
      const model = await fitted();
      const top = model.recommend(2, { n: 10 });
      const banned = top.ids.slice(0, 3);
      const again = model.recommend(2, { n: 10, exclude: banned });
      assert.ok(again.ids.every((id) => !banned.includes(id)));
      const candidates = Array.from({ length: 20 }, (_, i) => 20 + i);
      const chosen = model.recommend(2, { n: 5, items: candidates, filterSeen: false });
      assert.equal(chosen.ids.length, 5);
      assert.ok(chosen.ids.every((id) => candidates.includes(Number(id))));
    });

    test('similar items are ranked; n = 0 asks for nothing', async () => {
      const model = await fitted();
      const similar = model.similarItems(4, { n: 5 });
      assert.equal(similar.ids.length, 5);
      assert.ok(similar.scores.every((s, i) => i === 0 || similar.scores[i - 1] >= s));
      assert.equal(model.recommend(3, { n: 0 }).ids.length, 0);
      assert.deepEqual((await model.recommendBatch([5, 0], { n: 0 })).map((l) => l.ids.length), [0, 0]);
      assert.equal(model.similarItems(4, { n: 0 }).ids.length, 0);
    });

    test('a saved model loads and answers the same (given the history it needs)', async () => {
      const model = await fitted();
      const path = join(scratch(), 'model.recsys');
      model.save(path);
      const Class = model.constructor as typeof Recommender;
      for (const loaded of [Class.load(path), Class.fromBuffer(model.toBuffer())]) {
        for (const user of [0, 3, 9]) {
          assert.deepEqual(
            loaded.recommend(user, { n: 10, userItems: train }),
            model.recommend(user, { n: 10 }),
          );
        }
      }
    });

    test('damaged bytes are CORRUPT_MODEL, a missing file IO', async () => {
      const model = await fitted();
      const bytes = Buffer.from(model.toBuffer());
      bytes[bytes.length >> 1] ^= 0xff;
      const Class = model.constructor as typeof Recommender;
      assert.equal(codeOf(() => Class.fromBuffer(bytes)), 'CORRUPT_MODEL');
      const path = join(scratch(), 'damaged.recsys');
      writeFileSync(path, bytes);
      assert.equal(codeOf(() => Class.load(path)), 'CORRUPT_MODEL');
      assert.equal(codeOf(() => Class.load(join(scratch(), 'missing.recsys'))), 'IO');
    });

    test('an unfitted model is NOT_FITTED', () => {
      const model = make();
      assert.equal(model.isFitted, false);
      assert.equal(codeOf(() => model.recommend(0, { n: 3 })), 'NOT_FITTED');
      assert.equal(codeOf(() => model.similarItems(0, { n: 3 })), 'NOT_FITTED');
    });

    test('bad requests name the problem', async () => {
      const model = await fitted();
      // a count that is not a whole number >= 0 is refused, never wrapped or truncated
      assert.throws(() => model.recommend(1, { n: -1 }), {
        code: 'INVALID_ARGUMENT',
        message: 'n must be a whole number >= 0, got -1',
      });
      assert.equal(codeOf(() => model.recommend(1, { n: 2.5 })), 'INVALID_ARGUMENT');
      assert.equal(codeOf(() => model.similarItems(4, { n: -3 })), 'INVALID_ARGUMENT');
      assert.equal(await rejectionCode(model.recommendBatch([1], { n: -1 })), 'INVALID_ARGUMENT');
      assert.equal(codeOf(() => model.recommend(1.5, { n: 3 })), 'INVALID_ARGUMENT');
      assert.equal(codeOf(() => model.similarItems(9999, { n: 3 })), 'UNKNOWN_ID');
      const none = Interactions.fromTriples([], []);
      if (learnsFrom === 'interactions') {
        assert.equal(await rejectionCode(make().fit(none)), 'INVALID_ARGUMENT');
      } else {
        assert.ok((await make().fit(none)).isFitted);
      }
    });
  });
}

recommenderContract('ALS', () => new ALS({ factors: 16, regularization: 0.05, iterations: 8, seed: 7 }));
recommenderContract('Popularity', () => new Popularity());
recommenderContract('ContentRecommender', () => new ContentRecommender(catalog), 'catalog');
recommenderContract(
  'Hybrid',
  () =>
    new Hybrid([
      { model: new ALS({ factors: 8, iterations: 4, seed: 1 }), weight: 0.7 },
      { model: new ContentRecommender(catalog), weight: 0.2 },
      { model: new Popularity(), weight: 0.1 },
    ]),
);
