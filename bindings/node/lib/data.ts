// Inputs: interactions (who did what, how strongly) and dense feature matrices.
import { call, invalidArgument } from './errors.js';
import { native, type Native } from './native.js';
import type { CsrArrays } from '../native.cjs';
export type { CsrArrays };

/** A user or item id: a safe integer or a string. */
export type Id = number | string;

/** Ids as a plain array or a typed array of integers. */
export type Ids = readonly Id[] | Float64Array | Int32Array | Uint32Array;

/** Numbers as a plain array or a typed array. */
export type Numbers = readonly number[] | Float32Array | Float64Array;

/** scipy's CSR layout: row `r`'s columns are `indices[indptr[r] .. indptr[r + 1]]`. */
export interface CsrInput {
  indptr: Uint32Array | Int32Array | readonly number[];
  indices: Uint32Array | Int32Array | readonly number[];
  data: Numbers;
  nItems: number;
}

/** Options of `Interactions.fromCsv`. */
export type CsvOptions = Native.CsvReadOptions;

export function idsArg(ids: Ids): Float64Array | Id[] {
  if (ids instanceof Float64Array) return ids;
  if (ids instanceof Int32Array || ids instanceof Uint32Array) return Float64Array.from(ids);
  if (!Array.isArray(ids)) throw invalidArgument('ids must be an array of numbers or strings');
  return ids as Id[];
}

export function float32(values: Numbers, name: string): Float32Array {
  if (values instanceof Float32Array) return values;
  if (values instanceof Float64Array || Array.isArray(values)) return Float32Array.from(values);
  throw invalidArgument(`${name} must be a Float32Array or an array of numbers`);
}

function uint32(values: CsrInput['indptr'], name: string): Uint32Array {
  if (values instanceof Uint32Array) return values;
  if (values instanceof Int32Array) {
    if (values.some((v) => v < 0)) throw invalidArgument(`${name} holds a negative value`);
    return new Uint32Array(values.buffer, values.byteOffset, values.length);
  }
  if (Array.isArray(values)) {
    const out = new Uint32Array(values.length);
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw invalidArgument(`${name}[${i}] is ${v}: expected an integer in 0..2^32`);
      }
      out[i] = v;
    });
    return out;
  }
  throw invalidArgument(`${name} must be a Uint32Array, an Int32Array or an array of integers`);
}

/** Who interacted with what, how strongly: the matrix every recommender fits on. */
export class Interactions {
  /** @internal */
  constructor(readonly native: Native.Interactions) {}

  /**
   * One interaction per position: `users[i]` with `items[i]`, strength `values[i]` (1 when left
   * out). Repeated pairs add up.
   */
  static fromTriples(users: Ids, items: Ids, values?: Numbers): Interactions {
    const v = values === undefined ? undefined : float32(values, 'values');
    return new Interactions(
      call(() => native.Interactions.fromTriples(idsArg(users), idsArg(items), v)),
    );
  }

  /** scipy's CSR arrays (`csr_matrix.indptr`, `.indices`, `.data`); users are rows `0..n`. */
  static fromCsr(csr: CsrInput): Interactions {
    return new Interactions(
      call(() =>
        native.Interactions.fromCsr({
          indptr: uint32(csr.indptr, 'indptr'),
          indices: uint32(csr.indices, 'indices'),
          data: float32(csr.data, 'data'),
          nItems: csr.nItems,
        }),
      ),
    );
  }

  /** Reads `user,item[,value]` rows of a delimited file. */
  static fromCsv(path: string, options?: CsvOptions): Interactions {
    return new Interactions(call(() => native.Interactions.fromCsv(path, options)));
  }

  get nUsers(): number {
    return this.native.nUsers;
  }

  get nItems(): number {
    return this.native.nItems;
  }

  /** Number of stored (user, item) pairs. */
  get nnz(): number {
    return this.native.nnz;
  }

  /** User ids in row order. */
  userIds(): Id[] {
    return this.native.userIds();
  }

  /** Item ids in column order. */
  itemIds(): Id[] {
    return this.native.itemIds();
  }

  /** The matrix in scipy's CSR layout, rows in `userIds()` order, columns in `itemIds()`. */
  toCsr(): CsrArrays {
    return this.native.toCsr();
  }
}

/** A dense matrix: rows of numbers, or row-major values with their width. */
export type Matrix = readonly (readonly number[])[] | { data: Numbers; nFeatures: number };

/** `m` as row-major float32 values and its width. */
export function rowMajor(m: Matrix, name = 'X'): { data: Float32Array; nFeatures: number } {
  if (Array.isArray(m)) {
    const rows = m as readonly (readonly number[])[];
    const width = rows[0]?.length ?? 0;
    const data = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== width) {
        throw invalidArgument(
          `${name} row ${r} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${width}`,
        );
      }
      data.set(row, r * width);
    });
    return { data, nFeatures: width };
  }
  const { data, nFeatures } = m as { data: Numbers; nFeatures: number };
  return { data: float32(data, `${name}.data`), nFeatures };
}
