import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  ALS,
  AnyRecommender,
  ContentRecommender,
  GbdtClassifier,
  GbdtRanker,
  GbdtRegressor,
  Hybrid,
  Interactions,
  KMeans,
  Popularity,
  Recommender,
  TfidfVectorizer,
  evaluation,
  fromConfig,
} from '../lib/index.js';
import { codeOf, data, rejectionCode, scratch } from './helpers.js';

const catalog = [
  { id: 1, title: 'Red apple', description: 'sweet apple fruit' },
  { id: 2, title: 'Green apple', description: 'sour apple fruit' },
  { id: 3, title: 'Blue car', description: 'fast blue vehicle' },
  { id: 4, title: 'Red car', description: 'fast red vehicle' },
];

describe('Popularity', () => {
  test('ranks by how many users interacted, and round-trips', async () => {
    const train = data();
    const model = await new Popularity().fit(train);
    const top = model.recommend('someone new', { n: 3 });
    assert.equal(top.ids.length, 3);
    const scores = [...top.scores];
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    const back = Popularity.fromBuffer(model.toBuffer());
    assert.deepEqual(back.recommend('someone new', { n: 3, userItems: train }), top);
    assert.equal(codeOf(() => new Popularity().recommend(1)), 'NOT_FITTED');
  });
});

describe('ContentRecommender', () => {
  test('similar items, search, and recommendations from a history', async () => {
    const model = await new ContentRecommender(catalog, {
      fieldWeights: { title: 2, description: 1 },
    }).fit();
    const similar = model.similarItems(1, { n: 2 });
    assert.deepEqual(similar.ids.slice(0, 2), [1, 2]);
    const found = model.search('fast car', { n: 2 });
    assert.deepEqual(new Set(found.ids), new Set([3, 4]));
    const recs = model.recommend('ann', { n: 1, userItems: historyOf('ann', [1, 3]) });
    assert.deepEqual(recs.ids, [4], 'red car: nearest to a red apple and a blue car');
    const back = ContentRecommender.load(saveTo(model, 'content.model'));
    assert.deepEqual(back.search('fast car', { n: 2 }), found);
  });

  test('bad catalogs and settings are INVALID_ARGUMENT', async () => {
    assert.equal(
      await rejectionCode(new ContentRecommender(catalog, { fieldWeights: { price: 1 } }).fit()),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      codeOf(() => new ContentRecommender(catalog, { tfidf: { norm: 'l3' } })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      await rejectionCode(new ContentRecommender([]).fit()),
      'INVALID_ARGUMENT',
    );
  });
});

/** One user's history: `user` with each of `items`, strength 1. */
function historyOf(user: string, items: number[]): Interactions {
  return Interactions.fromTriples(
    items.map(() => user),
    items,
  );
}

function saveTo(model: { save(path: string): void }, name: string): string {
  const path = join(scratch(), name);
  model.save(path);
  return path;
}

describe('Hybrid and fromConfig', () => {
  test('a blend serves new users from its fallback member', async () => {
    const train = data();
    const model = await new Hybrid([
      { model: new ALS({ factors: 8, iterations: 4, seed: 1 }), weight: 0.8 },
      { model: new Popularity(), weight: 0.2 },
    ]).fit(train);
    assert.equal(model.kind, 'hybrid');
    assert.equal(model.recommend(1, { n: 5 }).ids.length, 5);
    assert.equal(model.recommend('brand new', { n: 5 }).ids.length, 5);
    const back = Hybrid.load(saveTo(model, 'hybrid.model'));
    assert.deepEqual(
      back.recommend('brand new', { n: 5, userItems: train }),
      model.recommend('brand new', { n: 5 }),
    );
    // a blend may score from the user's history: without it, an error, not another list
    assert.throws(() => back.recommend(1, { n: 5, filterSeen: false }), {
      code: 'INVALID_ARGUMENT',
      message: /'hybrid' model scores from the user's history/,
    });
    assert.equal(codeOf(() => new Hybrid([{ model, weight: 1 }])), 'INVALID_ARGUMENT');
    assert.equal(
      codeOf(() => new Hybrid([{ model: new Popularity(), weight: -1 }])),
      'INVALID_ARGUMENT',
    );
  });

  test("fromConfig builds the core factory's settings; load of any file gives its class", async () => {
    const model = fromConfig({ kind: 'als', factors: 4, iterations: 2 });
    assert.ok(model instanceof ALS);
    await model.fit(data());
    const any = AnyRecommender.load(saveTo(model, 'any.model'));
    assert.ok(any instanceof ALS);
    assert.ok(any instanceof Recommender);
    const content = fromConfig({ kind: 'content' }, catalog);
    assert.ok(content instanceof ContentRecommender);
    assert.equal(codeOf(() => fromConfig({ kind: 'content' })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => fromConfig({ kind: 'magic' })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => fromConfig('{not json')), 'INVALID_ARGUMENT');
    // the core's strict reading, with the message the server and Python give for the same config
    const bad = { kind: 'hybrid', members: [{ weight: 1, model: { kind: 'als', factorz: 8 } }] };
    assert.throws(
      () => fromConfig(bad),
      (e: Error & { code?: string }) =>
        e.code === 'INVALID_ARGUMENT' &&
        e.message.startsWith(
          'invalid config at config.members[0].model.factorz: unknown field `factorz`, expected one of `factors`',
        ),
    );
    assert.throws(() => fromConfig({ kind: 'popular', extra: 1 }), /invalid config at config\.extra: unknown field `extra`/);
  });
});

describe('TfidfVectorizer', () => {
  test("scikit-learn's weights, vocabulary and idf", async () => {
    const docs = ['the cat sat', 'the dog sat', 'the cat ran'];
    const v = new TfidfVectorizer();
    const m = await v.fitTransform(docs);
    assert.deepEqual(v.vocabulary(), ['cat', 'dog', 'ran', 'sat', 'the']);
    assert.equal(m.nCols, 5);
    assert.deepEqual([...m.indptr], [0, 3, 6, 9]);
    // idf = ln((1 + n) / (1 + df)) + 1, smoothed, as scikit-learn
    assert.ok(Math.abs(v.idf()[4] - 1) < 1e-12);
    assert.ok(Math.abs(v.idf()[1] - (Math.log(4 / 2) + 1)) < 1e-12);
    // each row has unit length
    for (let r = 0; r < 3; r++) {
      const row = m.data.slice(m.indptr[r], m.indptr[r + 1]);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-6);
    }
    const back = TfidfVectorizer.fromBuffer(v.toBuffer());
    assert.deepEqual(back.transform(['cat dog']), v.transform(['cat dog']));
    assert.equal(codeOf(() => new TfidfVectorizer().transform(['x'])), 'NOT_FITTED');
    assert.equal(codeOf(() => new TfidfVectorizer({ ngramRange: [2, 1] })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new TfidfVectorizer({ stopWords: 'klingon' })), 'INVALID_ARGUMENT');
  });
});

describe('KMeans', () => {
  test('clusters rows and typed arrays alike, predicts, round-trips', async () => {
    const rows = [
      [0, 0],
      [0.1, 0.2],
      [9, 9],
      [9.2, 8.8],
    ];
    const km = await new KMeans({ nClusters: 2, seed: 3 }).fit(rows);
    const labels = [...km.labels];
    assert.equal(labels[0], labels[1]);
    assert.notEqual(labels[0], labels[2]);
    assert.equal(labels[2], labels[3]);
    const typed = await new KMeans({ nClusters: 2, seed: 3 }).fit({
      data: Float32Array.from(rows.flat()),
      nFeatures: 2,
    });
    assert.deepEqual(typed.centroids, km.centroids);
    assert.deepEqual([...km.predict([[8, 8]])], [labels[2]]);
    assert.ok(km.inertia > 0 && km.nIter >= 1);
    assert.deepEqual(KMeans.fromBuffer(km.toBuffer()).centroids, km.centroids);
    assert.equal(codeOf(() => km.predict([[1, 2, 3]])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => km.predict([[1, 2, 3, 4]])), 'INVALID_ARGUMENT', 'not two rows of 2');
    assert.equal(codeOf(() => km.predict([[1, 2], [3]])), 'INVALID_ARGUMENT');
    assert.equal(await rejectionCode(new KMeans({ nClusters: 9 }).fit(rows)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new KMeans({ init: 'best' })), 'INVALID_ARGUMENT');
  });

  test('weighs samples and gives distances to every centroid', async () => {
    const rows = [[0], [1], [10], [11]];
    // one cluster: the weighted mean, and the inertia weighs every squared distance
    const km = await new KMeans({ nClusters: 1, seed: 1 }).fit(rows, { sampleWeight: [3, 1, 0, 0] });
    assert.deepEqual([...km.centroids], [0.25]);
    assert.ok(Math.abs(km.inertia - (3 * 0.0625 + 0.5625)) < 1e-9);
    assert.deepEqual([...km.transform([[2], [-1]])], [1.75, 1.25]);
    const weights = [1, 1, 1];
    assert.equal(await rejectionCode(new KMeans({ nClusters: 1 }).fit(rows, { sampleWeight: weights })), 'INVALID_ARGUMENT');
  });
});

describe('GBDT', () => {
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 200; i++) {
    const a = (i % 20) / 20;
    const b = ((i * 7) % 13) / 13;
    X.push([a, b]);
    y.push(3 * a + (b > 0.5 ? 1 : 0));
  }

  test('a regressor learns, reports validation metrics and round-trips through LightGBM text', async () => {
    const model = await new GbdtRegressor({ numIterations: 30, minDataInLeaf: 5 }).fit(X, y, {
      evalSet: { X, y },
    });
    const pred = model.predict(X);
    const rmse = Math.sqrt(pred.reduce((s, p, i) => s + (p - y[i]) ** 2, 0) / y.length);
    assert.ok(rmse < 0.2, `rmse ${rmse}`);
    assert.equal(model.evaluations.length, 30);
    assert.equal(model.evaluations[0].metric, 'rmse');
    const text = model.toLightGBM();
    assert.match(text, /^tree\n/);
    // LightGBM's text holds decimal numbers: the same model up to their rounding
    const back = GbdtRegressor.fromLightGBM(text).predict(X);
    back.forEach((p, i) => assert.ok(Math.abs(p - pred[i]) < 1e-9, `row ${i}: ${p} vs ${pred[i]}`));
    assert.deepEqual(GbdtRegressor.load(saveTo(model, 'gbdt.model')).predict(X), pred);
    assert.equal(model.featureImportance('split').length, 2);
    assert.equal(codeOf(() => GbdtClassifier.fromLightGBM(text)), 'CORRUPT_MODEL');
    assert.equal(codeOf(() => GbdtRegressor.fromLightGBM('tree\nnonsense')), 'CORRUPT_MODEL');
  });

  test('an AbortSignal stops a fit with ABORTED and leaves the model as it was', async () => {
    const model = await new GbdtRegressor({ numIterations: 5 }).fit(X, y);
    const before = model.predict(X);
    const controller = new AbortController();
    const fit = new GbdtRegressor({ numIterations: 100000 }).fit(X, y, { signal: controller.signal });
    controller.abort(new Error('enough'));
    await assert.rejects(fit, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ABORTED');
      assert.equal(e.name, 'AbortError');
      assert.equal((e.cause as Error).message, 'enough');
      return true;
    });
    // aborted before it starts: the same, and the fitted model keeps its trees
    const gone = AbortSignal.abort();
    assert.equal(await rejectionCode(model.fit(X, y, { signal: gone })), 'ABORTED');
    assert.deepEqual(model.predict(X), before);
    const rows = Array.from({ length: 20000 }, (_, i) => [i % 97, (i * 31) % 89]);
    const km = new KMeans({ nClusters: 8, nInit: 50, maxIter: 300 });
    const stopping = new AbortController();
    const running = km.fit(rows, { signal: stopping.signal });
    stopping.abort();
    assert.equal(await rejectionCode(running), 'ABORTED');
    assert.equal(await rejectionCode(km.fit(rows, { signal: gone })), 'ABORTED');
  });

  test('query groups are whole numbers >= 0 or an error naming them', async () => {
    const ranker = new GbdtRanker({ numIterations: 2 });
    await assert.rejects(ranker.fit(X, y.map((v) => Math.round(v)), [100, -100]), {
      code: 'INVALID_ARGUMENT',
      message: 'groups must hold whole numbers >= 0, got -100',
    });
  });

  test('categorical features split by sets of categories', async () => {
    // the target is an effect per category (40 of them) in no order of the codes
    const rows = Array.from({ length: 2000 }, (_, i) => [i % 40, (i % 5) / 5]);
    const target = rows.map(([c, v]) => ((c * 7919) % 13) - 6 + v);
    const fit = (categoricalFeatures?: number[]) =>
      new GbdtRegressor({
        numIterations: 10,
        numLeaves: 4,
        learningRate: 0.5,
        minDataInLeaf: 5,
        minDataPerGroup: 5,
        categoricalFeatures,
      }).fit(rows, target);
    const rmse = (m: GbdtRegressor) => {
      const p = m.predict(rows);
      return Math.sqrt(p.reduce((s, v, i) => s + (v - target[i]) ** 2, 0) / p.length);
    };
    const [categorical, numerical] = [await fit([0]), await fit()];
    assert.ok(rmse(categorical) < 0.5 * rmse(numerical), `${rmse(categorical)} vs ${rmse(numerical)}`);
    assert.equal(codeOf(() => new GbdtRegressor({ catSmooth: -1 })), 'INVALID_ARGUMENT');
    assert.equal(await rejectionCode(fit([2])), 'INVALID_ARGUMENT');
  });

  test('a classifier gives probabilities; a ranker needs its groups', async () => {
    const labels = y.map((v) => (v > 2 ? 1 : 0));
    const clf = await new GbdtClassifier({ numIterations: 20, minDataInLeaf: 5 }).fit(X, labels);
    const p = clf.predictProba(X);
    assert.ok(p.every((v) => v >= 0 && v <= 1));
    const rel = y.map((v) => Math.min(3, Math.floor(v)));
    const groups = Array.from({ length: 20 }, () => 10);
    const ranker = await new GbdtRanker({ numIterations: 10, minDataInLeaf: 2 }).fit(X, rel, groups);
    assert.equal(ranker.predict(X).length, 200);
    assert.equal(
      await rejectionCode(new GbdtRanker().fit(X, rel, [5])),
      'INVALID_ARGUMENT',
    );
    assert.equal(codeOf(() => new GbdtRegressor({ learningRate: 0 })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => new GbdtRegressor().predict(X)), 'NOT_FITTED');
    assert.equal(
      await rejectionCode(new GbdtRegressor().fit([[1, Infinity]], [1])),
      'INVALID_ARGUMENT',
    );
  });
});

describe('evaluation', () => {
  test('splits partition the data; metrics are fractions', async () => {
    const all = data(200, 60, 10);
    const [train, test] = evaluation.trainTestSplit(all, { trainFraction: 0.8, seed: 1 });
    assert.equal(train.nnz + test.nnz, all.nnz);
    const [kTrain, kTest] = evaluation.leaveKOutSplit(all, { k: 1, seed: 1 });
    assert.equal(kTrain.nnz + kTest.nnz, all.nnz);
    const model = await new ALS({ factors: 8, iterations: 5, seed: 2 }).fit(train);
    const m = await evaluation.rankingMetricsAtK(model, train, test, { k: 10 });
    for (const v of [m.precision, m.map, m.ndcg, m.auc, m.coverage]) assert.ok(v >= 0 && v <= 1);
    assert.ok(m.users > 0);
    assert.equal(
      codeOf(() => evaluation.trainTestSplit(all, { trainFraction: 1.5 })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      await rejectionCode(evaluation.rankingMetricsAtK(new ALS(), train, test)),
      'NOT_FITTED',
    );
  });
});
