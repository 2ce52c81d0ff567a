// Every core error is thrown with the code the error table in docs/architecture.md gives it, and
// the codes are listed once (the addon's) and mirrored by lib/errors.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ERROR_CODES } from '../lib/errors.js';
import { native } from '../lib/native.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** variant -> Node code, from the table's rows. */
function errorTable(): Map<string, string> {
  const lines = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('| core variant |'));
  const cells = (line: string) =>
    line
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim().replace(/`/g, ''));
  const column = cells(lines[start]).indexOf('Node code');
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const row = cells(line);
    rows.set(row[0], row[column]);
  }
  return rows;
}

test('every core error is thrown with the code of the error table', () => {
  const table = errorTable();
  const examples = native._errorExamples();
  assert.deepEqual([...table.keys()].sort(), examples.map((e) => e.variant).sort());
  for (const e of examples) {
    assert.equal(e.code, table.get(e.variant), e.variant);
    assert.ok(e.message.length > 0, e.variant);
  }
});

test("lib/errors.ts lists the addon's codes", () => {
  assert.deepEqual([...ERROR_CODES], native._errorCodes());
});
