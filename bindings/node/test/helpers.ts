// Small data generated in code, and scratch folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { Interactions } from '../lib/index.js';

/** `users` users with `perUser` items each out of `items`, strengths 1..4, deterministic. */
export function triples(users: number, items: number, perUser: number) {
  const u: number[] = [];
  const i: number[] = [];
  const v: number[] = [];
  for (let a = 0; a < users; a++) {
    for (let k = 0; k < perUser; k++) {
      u.push(a);
      i.push((a * 7 + k * k * 3 + k) % items);
      v.push(1 + ((a + 3 * k) % 4));
    }
  }
  return { users: u, items: i, values: v };
}

export function data(users = 60, items = 40, perUser = 8): Interactions {
  const t = triples(users, items, perUser);
  return Interactions.fromTriples(t.users, t.items, t.values);
}

/** A folder removed after the test file. */
export function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recsys-node-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The `code` of what `f` throws (fails when it throws nothing). */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${String(e)}`;
  }
  throw new Error('expected an error');
}

/** The `code` of what `p` rejects with. */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${String(e)}`;
  }
  throw new Error('expected a rejection');
}
