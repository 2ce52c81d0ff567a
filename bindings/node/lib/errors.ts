// Every error recsys throws or rejects with is an `Error` with a stable `code`.

import { native, type Native } from './native.js';

/** The `code` of a recsys error. */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // a setting or argument out of range, or unusable input data
  | 'UNKNOWN_ID' // a user or item id the model has never seen
  | 'NOT_FITTED' // the model is used before fit
  | 'CORRUPT_MODEL' // bytes that are not a readable model of this kind
  | 'IO' // reading or writing a file failed
  | 'ABORTED' // the fit was stopped through its AbortSignal
  | 'INTERNAL';

export const ERROR_CODES: readonly ErrorCode[] = [
  'INVALID_ARGUMENT',
  'UNKNOWN_ID',
  'NOT_FITTED',
  'CORRUPT_MODEL',
  'IO',
  'ABORTED',
  'INTERNAL',
];

/** An error from recsys: `code` says what kind, `message` names the problem. */
export interface RecsysError extends Error {
  code: ErrorCode;
}

/** Whether `e` is an error recsys threw. */
export function isRecsysError(e: unknown): e is RecsysError {
  return e instanceof Error && ERROR_CODES.includes((e as { code?: unknown }).code as ErrorCode);
}

// napi's own argument checks (a string where a number belongs) use napi status names.
const NAPI_ARGUMENT_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'FunctionExpected',
  'BigintExpected',
  'ArrayBufferExpected',
]);

/** `e` with napi's argument-check statuses given recsys's `INVALID_ARGUMENT` code. */
export function recoded(e: unknown): unknown {
  if (e instanceof Error && NAPI_ARGUMENT_STATUSES.has((e as { code?: string }).code ?? '')) {
    (e as RecsysError).code = 'INVALID_ARGUMENT';
  }
  return e;
}

/** Runs a native call, so that every error it throws carries a recsys code. */
export function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw recoded(e);
  }
}

/** Awaits a native promise, recoding its rejection the same way. */
export async function settle<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await call(p);
  } catch (e) {
    throw recoded(e);
  }
}

/** A recsys error raised by this layer (an argument of the wrong shape). */
export function invalidArgument(message: string): RecsysError {
  const e = new TypeError(message) as unknown as RecsysError;
  e.code = 'INVALID_ARGUMENT';
  return e;
}

/** `e` as the abort of a fit: code `ABORTED`, name `AbortError` (as fetch's), the signal's reason. */
function aborted(e: Error, signal?: AbortSignal): RecsysError {
  const out = e as RecsysError;
  out.code = 'ABORTED';
  out.name = 'AbortError';
  if (signal) out.cause = signal.reason;
  return out;
}

/**
 * Runs a native fit that takes a stop flag, stopped when `signal` fires: a signal aborted before
 * or during the fit rejects it with code `ABORTED` (name `AbortError`, the signal's reason as
 * `cause`), the model unchanged.
 */
export async function abortable<T>(
  signal: AbortSignal | undefined,
  fit: (stop: Native.StopFlag) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw aborted(new Error('training was cancelled'), signal);
  const stop = new native.StopFlag();
  const abort = () => stop.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    return await settle(() => fit(stop));
  } catch (e) {
    throw (e as RecsysError).code === 'ABORTED' ? aborted(e as Error, signal) : e;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
