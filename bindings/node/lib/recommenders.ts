// The recommenders: ALS, content, popularity and their hybrid, over the core's one model
// value (`native.Recommender`). Fits run on a worker thread; the event loop keeps serving.
import { abortable, call, invalidArgument, settle } from './errors.js';
import { type Id, type Ids, Interactions, idsArg } from './data.js';
import { native, type Native } from './native.js';

/** A ranked list in the caller's ids, best first, with the model's scores. */
export interface Ranked {
  ids: Id[];
  scores: Float32Array;
}

/** Progress of a fit, after each iteration. */
import type { FitProgress, FactorMatrix, SimilarUsersOptions } from '../native.cjs';
export type { FitProgress, FactorMatrix, SimilarUsersOptions };

export interface FitOptions {
  /** Called after each training iteration with its number, time and (optionally) loss. */
  onProgress?: (progress: FitProgress) => void;
  /** Stops the fit between iterations: it rejects with code `ABORTED`, the model unchanged. */
  signal?: AbortSignal;
}

export interface RecommendOptions {
  /** List length (default 10). */
  n?: number;
  /** Leave out items the user already has (default true). */
  filterSeen?: boolean;
  /** Never return these items. */
  exclude?: Id[];
  /** Return only items from this list. */
  items?: Id[];
  /**
   * The users' current interactions, for filtering seen items and for `recalculateUser`
   * (default: the data of the last fit).
   */
  userItems?: Interactions;
  /** Compute the user's vector from `userItems` instead of the trained one (new users). */
  recalculateUser?: boolean;
}

export interface SimilarOptions {
  n?: number;
  exclude?: Id[];
  items?: Id[];
}

function nativeOptions(o: RecommendOptions | undefined): Native.RecommendOptions | undefined {
  if (o === undefined) return undefined;
  const { userItems: _, ...rest } = o;
  return rest;
}

/** What every recommender can do. */
export abstract class Recommender {
  /** The kind this class loads (`undefined`: any). */
  static readonly kind: string | undefined = undefined;

  /** @internal */
  constructor(readonly native: Native.Recommender) {}

  /** `"als"`, `"content"`, `"popular"` or `"hybrid"`. */
  get kind(): string {
    return this.native.kind;
  }

  get isFitted(): boolean {
    return this.native.isFitted;
  }

  /**
   * Trains on `data` off the event loop. Until it resolves, the model answers from its previous
   * fit; an aborted or failed fit leaves it as it was.
   */
  async fit(data: Interactions, options: FitOptions = {}): Promise<this> {
    const { onProgress, signal } = options;
    if (!(data instanceof Interactions)) throw invalidArgument('data must be an Interactions');
    // an exception in onProgress stops the fit and becomes its rejection
    let thrown: { error: unknown } | undefined;
    // reports arrive through the event loop, possibly after the fit resolved: count them
    let received = 0;
    let allReceived: (() => void) | undefined;
    let queued: number;
    try {
      queued = await abortable(signal, (stop) => {
        const progress =
          onProgress &&
          ((p: FitProgress) => {
            received++;
            if (!thrown) {
              try {
                onProgress(p);
              } catch (error) {
                thrown = { error };
                stop.abort();
              }
            }
            allReceived?.();
          });
        return this.native.fit(data.native, progress, stop);
      });
    } catch (e) {
      if (thrown) throw thrown.error;
      throw e;
    }
    while (received < queued) {
      await new Promise<void>((resolve) => (allReceived = resolve));
    }
    if (thrown) throw thrown.error;
    return this;
  }

  /** The best items for `user`, best first. */
  recommend(user: Id, options?: RecommendOptions): Ranked {
    return call(() =>
      this.native.recommend(user, nativeOptions(options), options?.userItems?.native),
    );
  }

  /** `recommend` for many users at once, scored off the event loop; one list per user. */
  async recommendBatch(users: Ids, options?: RecommendOptions): Promise<Ranked[]> {
    const { ids, scores, offsets } = await settle(() =>
      this.native.recommendBatch(idsArg(users), nativeOptions(options), options?.userItems?.native),
    );
    // one view per list over the batch's arrays (a plain copy loop: Array.from is slower)
    const lists: Ranked[] = new Array(offsets.length - 1);
    for (let k = 0; k < lists.length; k++) {
      const [from, to] = [offsets[k], offsets[k + 1]];
      const list: Id[] = new Array(to - from);
      for (let i = from; i < to; i++) list[i - from] = ids[i];
      lists[k] = { ids: list, scores: scores.subarray(from, to) };
    }
    return lists;
  }

  /** The items most similar to `item` (factor models include `item` itself, as implicit). */
  similarItems(item: Id, options?: SimilarOptions): Ranked {
    return call(() => this.native.similarItems(item, options));
  }

  /** The ids of the items the model can recommend. */
  itemIds(): Id[] {
    return call(() => this.native.itemIds());
  }

  /** The model in the core's file format: the bytes Rust's and Python's `save` write. */
  toBuffer(): Buffer {
    return call(() => this.native.toBuffer());
  }

  /** Writes the model file (atomically), readable from Rust, Python and Node. */
  save(path: string): void {
    call(() => this.native.save(path));
  }

  /** Reads `toBuffer`'s bytes; `ALS.fromBuffer` insists on an ALS model, and so on. */
  static fromBuffer<T extends Recommender>(this: RecommenderClass<T>, bytes: Buffer): T {
    return wrap(call(() => native.Recommender.fromBuffer(bytes, this.kind)), this);
  }

  /** Reads a model file; `ALS.load` insists on an ALS model, and so on. */
  static load<T extends Recommender>(this: RecommenderClass<T>, path: string): T {
    return wrap(call(() => native.Recommender.load(path, this.kind)), this);
  }
}

interface RecommenderClass<T> {
  readonly kind: string | undefined;
  prototype: T;
}

const CLASSES: Record<string, RecommenderClass<Recommender>> = {};

/** The class of a native model's kind (`Recommender.load` of any file gives an `ALS`, ...). */
function wrap<T extends Recommender>(model: Native.Recommender, cls: RecommenderClass<T>): T {
  const of = (cls.kind === undefined ? CLASSES[model.kind] : cls) ?? cls;
  const out = Object.create(of.prototype) as T;
  Object.defineProperty(out, 'native', { value: model, enumerable: true });
  return out;
}

/** Settings of `ALS`; implicit's names and defaults. */
export type AlsOptions = Native.AlsOptions;

/** A factor matrix, `rows x dim` row-major. */

/**
 * Implicit-feedback alternating least squares (implicit's `AlternatingLeastSquares`: the same
 * defaults, the same confidence `alpha * value`, the same model files as the Python package).
 */
export class ALS extends Recommender {
  static override readonly kind = 'als';

  constructor(options: AlsOptions = {}) {
    super(call(() => native.Recommender.als(options)));
  }

  /**
   * The users most similar to `user` by cosine of their factors (including `user`); `exclude`
   * leaves users out, `users` chooses among those only.
   */
  similarUsers(user: Id, options: SimilarUsersOptions = {}): Ranked {
    return call(() => this.native.similarUsers(user, options));
  }

  /**
   * The factor vector of a user the model has never seen, from the items they interacted with
   * (strength 1 each unless `values` says otherwise); the model is unchanged.
   */
  foldInUser(items: Ids, values?: readonly number[]): Float32Array {
    return call(() => this.native.foldInUser(idsArg(items), values ? [...values] : undefined));
  }

  get userFactors(): FactorMatrix {
    return call(() => this.native.userFactors);
  }

  get itemFactors(): FactorMatrix {
    return call(() => this.native.itemFactors);
  }
}

/** Items ranked by how many users interacted with them; the cold-start fallback. */
export class Popularity extends Recommender {
  static override readonly kind = 'popular';

  constructor() {
    super(native.Recommender.popularity());
  }
}

/** One catalog item: its id and a text per field. */
export type CatalogItem = { id: Id } & Record<string, unknown>;

export interface ContentOptions {
  /** The text fields to index (default: every string field of the first item except `id`). */
  fields?: string[];
  /** Weight of each field (fields not named weigh 1; 0 ignores a field). */
  fieldWeights?: Record<string, number>;
  /** Vectorizer settings, scikit-learn's names. */
  tfidf?: Native.TfidfOptions;
}

function catalogArg(items: readonly CatalogItem[], fields?: string[]): Native.CatalogIn {
  if (!Array.isArray(items)) throw invalidArgument('the catalog must be an array of items');
  const names =
    fields ??
    Object.keys(items[0] ?? {}).filter((k) => k !== 'id' && typeof items[0][k] === 'string');
  return {
    fields: names,
    ids: items.map((item) => item.id),
    texts: items.map((item) => names.map((f) => (item[f] == null ? '' : String(item[f])))),
  };
}

const NO_INTERACTIONS = () => Interactions.fromTriples([], []);

/**
 * TF-IDF content similarity over item texts: similar items, text search, and recommendations
 * from a user's history (users are described by the items they interacted with).
 */
export class ContentRecommender extends Recommender {
  static override readonly kind = 'content';

  constructor(catalog: readonly CatalogItem[], options: ContentOptions = {}) {
    const { fields, ...rest } = options;
    super(call(() => native.Recommender.content(catalogArg(catalog, fields), rest)));
  }

  /** Indexes the catalog; `data` (optional) is the history `recommend` describes users by. */
  override fit(data: Interactions = NO_INTERACTIONS(), options?: FitOptions): Promise<this> {
    return super.fit(data, options);
  }

  /** Items whose text best matches `query`, best first. */
  search(query: string, options: { n?: number } = {}): Ranked {
    return call(() => this.native.search(query, options.n));
  }
}

/** One member of a hybrid. */
export interface HybridMember {
  model: Recommender;
  weight: number;
}

/**
 * A weighted blend of recommenders, in fallback order: a user a member cannot serve (a new
 * user for ALS) gets the others' lists, so every user gets a full list.
 */
export class Hybrid extends Recommender {
  static override readonly kind = 'hybrid';

  /** Members are copied as they are (fitted or not); `fit` trains every member on its data. */
  constructor(members: readonly HybridMember[]) {
    if (!Array.isArray(members)) throw invalidArgument('members must be an array');
    super(
      call(() =>
        native.Recommender.hybrid(
          members.map((m) => m.model?.native),
          members.map((m) => m.weight),
        ),
      ),
    );
  }
}

/** Recommender classes by kind, for files and configs of any kind. */
Object.assign(CLASSES, { als: ALS, popular: Popularity, content: ContentRecommender, hybrid: Hybrid });

/** A generic recommender of any kind (what `fromConfig` and `loadAny` return). */
export class AnyRecommender extends Recommender {}

/**
 * A recommender from the core factory's settings (`{kind: "als", factors: 64}`,
 * `{kind: "hybrid", members: [{weight, model}]}`), as recsys-server reads them; content models
 * need the catalog.
 */
export function fromConfig(
  config: string | object,
  catalog?: readonly CatalogItem[],
  fields?: string[],
): Recommender {
  const json = typeof config === 'string' ? config : JSON.stringify(config);
  const model = call(() =>
    native.Recommender.fromConfig(json, catalog ? catalogArg(catalog, fields) : undefined),
  );
  return wrap(model, AnyRecommender);
}
