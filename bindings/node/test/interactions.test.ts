import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { Interactions, isRecsysError } from '../lib/index.js';
import { codeOf, scratch, triples } from './helpers.js';

describe('Interactions', () => {
  test('fromTriples takes plain arrays, typed arrays and string ids alike', () => {
    const t = triples(20, 15, 4);
    const plain = Interactions.fromTriples(t.users, t.items, t.values);
    const typed = Interactions.fromTriples(
      Int32Array.from(t.users),
      Float64Array.from(t.items),
      Float32Array.from(t.values),
    );
    assert.equal(plain.nUsers, 20);
    assert.deepEqual(plain.toCsr(), typed.toCsr());
    assert.deepEqual(plain.userIds(), typed.userIds());

    const named = Interactions.fromTriples(['ann', 'bob', 'ann'], ['tea', 'tea', 'jam']);
    assert.deepEqual(named.userIds(), ['ann', 'bob']);
    assert.deepEqual(named.itemIds(), ['tea', 'jam']);
    assert.equal(named.nnz, 3);
    assert.deepEqual([...named.toCsr().data], [1, 1, 1]);
  });

  test('repeated pairs add up', () => {
    const m = Interactions.fromTriples([1, 1], [2, 2], [1.5, 2]);
    assert.equal(m.nnz, 1);
    assert.deepEqual([...m.toCsr().data], [3.5]);
  });

  test("fromCsr reads scipy's layout from typed or plain arrays", () => {
    const csr = { indptr: [0, 2, 3], indices: [0, 2, 1], data: [1, 2, 3], nItems: 3 };
    const a = Interactions.fromCsr(csr);
    const b = Interactions.fromCsr({
      indptr: Int32Array.from(csr.indptr),
      indices: Uint32Array.from(csr.indices),
      data: Float32Array.from(csr.data),
      nItems: 3,
    });
    assert.equal(a.nUsers, 2);
    assert.equal(a.nItems, 3);
    assert.deepEqual(a.toCsr(), b.toCsr());
    assert.deepEqual([...a.toCsr().indices], [0, 2, 1]);
    assert.throws(() => Interactions.fromCsr({ ...csr, nItems: -1 }), {
      code: 'INVALID_ARGUMENT',
      message: 'nItems must be a whole number >= 0, got -1',
    });
  });

  test('fromCsv reads a file with a header', () => {
    const path = join(scratch(), 'events.csv');
    writeFileSync(path, 'user,item,rating\nann,tea,4\nbob,jam,2\nann,jam,5\n');
    const m = Interactions.fromCsv(path);
    assert.deepEqual(m.userIds(), ['ann', 'bob']);
    assert.equal(m.nnz, 3);
    const positives = Interactions.fromCsv(path, { minValue: 4 });
    assert.equal(positives.nnz, 2);
  });

  test('bad input is an INVALID_ARGUMENT naming the problem', () => {
    assert.equal(codeOf(() => Interactions.fromTriples([1, 2], [1])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => Interactions.fromTriples([1.5], [1])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => Interactions.fromTriples([2 ** 60], [1])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => Interactions.fromTriples([1], [1], [-1])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => Interactions.fromTriples([1], [1], [NaN])), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => Interactions.fromTriples([{}] as never, [1])), 'INVALID_ARGUMENT');
    assert.equal(
      codeOf(() => Interactions.fromCsr({ indptr: [0, 5], indices: [0], data: [1], nItems: 1 })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      codeOf(() => Interactions.fromCsr({ indptr: [0, 1], indices: [7], data: [1], nItems: 2 })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      codeOf(() => Interactions.fromCsr({ indptr: [0, -1], indices: [], data: [], nItems: 2 })),
      'INVALID_ARGUMENT',
    );
    try {
      Interactions.fromTriples([0.5], [1]);
    } catch (e) {
      assert.ok(isRecsysError(e));
      assert.match(e.message, /users\[0\] is 0\.5/);
    }
  });

  test('a missing file is an IO error naming the path', () => {
    try {
      Interactions.fromCsv('/nonexistent/events.csv');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isRecsysError(e));
      assert.equal(e.code, 'IO');
      assert.match(e.message, /\/nonexistent\/events\.csv/);
    }
  });
});
