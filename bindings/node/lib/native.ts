// The compiled addon (napi-rs): `native.cjs` is napi's generated loader, which picks the
// `recsys.<platform>.node` file built for this machine.
import { createRequire } from 'node:module';
import type * as Native from '../native.cjs';

const require = createRequire(import.meta.url);

export const native: typeof Native = require('../native.cjs');
export type { Native };
