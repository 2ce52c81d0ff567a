// The shared test vectors: one small data set and seed (examples/shared_vectors.rs says which);
// Rust, Python and Node must produce the same ALS factors bit for bit and the same top-10
// lists, and each must load the others' model files and answer the same.
//
// Runs the Rust program (`RECSYS_SHARED_VECTORS_BIN`, else through `cargo test`) and the Python script
// (with `RECSYS_PYTHON`, else `python3`, whichever has the recsys package installed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';

import { ALS, Interactions } from '../lib/index.js';
import { scratch } from './helpers.js';

const repo = resolve(import.meta.dirname, '../../..');
const USERS = 97;
const ITEMS = 61;

interface Answer {
  user_factors: number[];
  item_factors: number[];
  top10: { ids: number[]; scores: number[] }[];
}

function data(): Interactions {
  const rows = Array.from({ length: USERS }, () => new Map<number, number>());
  rows.forEach((row, u) => {
    for (let k = 0; k < 12; k++) {
      const item = (7 * u + 3 * k * k + k) % ITEMS;
      row.set(item, (row.get(item) ?? 0) + 1 + ((u + 3 * k) % 4));
    }
  });
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    for (const [item, value] of [...row].sort((a, b) => a[0] - b[0])) {
      indices.push(item);
      values.push(value);
    }
    indptr.push(indices.length);
  }
  return Interactions.fromCsr({ indptr, indices, data: values, nItems: ITEMS });
}

const bits = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer.slice(0)));

function answer(model: ALS, userItems: Interactions): Answer {
  const top10 = [];
  for (let u = 0; u < 10; u++) {
    const r = model.recommend(u, { n: 10, userItems });
    top10.push({ ids: r.ids as number[], scores: bits(r.scores) });
  }
  return {
    user_factors: bits(model.userFactors.data),
    item_factors: bits(model.itemFactors.data),
    top10,
  };
}

function rust(mode: 'fit' | 'load', path: string): Answer {
  const bin = process.env.RECSYS_SHARED_VECTORS_BIN;
  const out = bin
    ? execFileSync(bin, [mode, path], { encoding: 'utf8' })
    : execFileSync(
        'cargo',
        ['test', '--quiet', '--locked', '-p', 'recsys-examples', '--test', 'shared_vectors', '--', mode, path],
        { cwd: repo, encoding: 'utf8' },
      );
  return JSON.parse(out);
}

function python(mode: 'fit' | 'load', path: string): Answer {
  const script = join(repo, 'bindings/python/tests/shared_vectors.py');
  const out = execFileSync(process.env.RECSYS_PYTHON ?? 'python3', [script, mode, path], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('shared test vectors: Rust, Python and Node agree bit for bit', () => {
  const dir = scratch();
  const files = {
    rust: join(dir, 'rust.model'),
    python: join(dir, 'python.model'),
    node: join(dir, 'node.model'),
  };
  const answers: Record<string, Answer> = {};
  const interactions = data();

  before(async () => {
    const model = await new ALS({
      factors: 16,
      regularization: 0.05,
      alpha: 2,
      iterations: 8,
      solver: 'cg',
      cgSteps: 3,
      seed: 42,
    }).fit(interactions);
    model.save(files.node);
    answers.node = answer(model, interactions);
    answers.rust = rust('fit', files.rust);
    answers.python = python('fit', files.python);
  });

  test('the same factors and top-10 lists from the same data and seed', () => {
    assert.equal(answers.node.user_factors.length, USERS * 16);
    assert.equal(answers.node.item_factors.length, ITEMS * 16);
    assert.deepEqual(answers.rust, answers.node, 'Rust and Node');
    assert.deepEqual(answers.python, answers.node, 'Python and Node');
  });

  test('each loads the others’ model files and answers the same', () => {
    const node = (path: string) => answer(ALS.load(path), interactions);
    for (const [writer, path] of Object.entries(files)) {
      assert.deepEqual(node(path), answers.node, `Node reading ${writer}'s file`);
      assert.deepEqual(rust('load', path), answers.node, `Rust reading ${writer}'s file`);
      assert.deepEqual(python('load', path), answers.node, `Python reading ${writer}'s file`);
    }
  });
});
