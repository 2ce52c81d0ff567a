// The estimators beside the recommenders: TF-IDF, K-Means and gradient-boosted trees, with
// scikit-learn's and LightGBM's names. `fit` runs on a worker thread.
import { abortable, call, settle } from './errors.js';
import { type Matrix, type Numbers, float32, rowMajor } from './data.js';
import { native, type Native } from './native.js';

import type { TfidfOptions, SparseMatrix, KMeansOptions, Evaluation } from '../native.cjs';
export type { TfidfOptions, SparseMatrix, KMeansOptions, Evaluation };

/** scikit-learn's `TfidfVectorizer` (same defaults, same weights). */
export class TfidfVectorizer {
  /** @internal */
  readonly native: Native.TfidfVectorizer;

  constructor(options: TfidfOptions = {}, /** @internal */ from?: Native.TfidfVectorizer) {
    this.native = from ?? call(() => new native.TfidfVectorizer(options));
  }

  async fit(documents: readonly string[]): Promise<this> {
    await settle(() => this.native.fit([...documents]));
    return this;
  }

  /** The documents' weights (CSR, documents x terms). */
  transform(documents: readonly string[]): SparseMatrix {
    return call(() => this.native.transform([...documents]));
  }

  async fitTransform(documents: readonly string[]): Promise<SparseMatrix> {
    await this.fit(documents);
    return this.transform(documents);
  }

  get isFitted(): boolean {
    return this.native.isFitted;
  }

  /** The terms, in column order (scikit-learn's `get_feature_names_out`). */
  vocabulary(): string[] {
    return call(() => this.native.vocabulary());
  }

  idf(): Float64Array {
    return call(() => this.native.idf());
  }

  toBuffer(): Buffer {
    return call(() => this.native.toBuffer());
  }

  save(path: string): void {
    call(() => this.native.save(path));
  }

  static fromBuffer(bytes: Buffer): TfidfVectorizer {
    return new TfidfVectorizer({}, call(() => native.TfidfVectorizer.fromBuffer(bytes)));
  }

  static load(path: string): TfidfVectorizer {
    return new TfidfVectorizer({}, call(() => native.TfidfVectorizer.load(path)));
  }
}


/** How `KMeans.fit` trains. */
export interface KMeansFitOptions {
  /** One weight >= 0 per row (scikit-learn's `sample_weight`). */
  sampleWeight?: Numbers;
  /** Stops the fit before its next iteration: it rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

/** scikit-learn's `KMeans` (greedy k-means++, Lloyd with Hamerly's bounds). */
export class KMeans {
  /** @internal */
  readonly native: Native.KMeans;

  constructor(options: KMeansOptions = {}, /** @internal */ from?: Native.KMeans) {
    this.native = from ?? call(() => new native.KMeans(options));
  }

  /**
   * `sampleWeight`: one weight >= 0 per row (scikit-learn's `sample_weight`); `signal` stops the
   * fit before its next iteration (it rejects with code `ABORTED`, the model unchanged).
   */
  async fit(X: Matrix, options: KMeansFitOptions = {}): Promise<this> {
    const { data, nFeatures } = rowMajor(X);
    const weights = options.sampleWeight && float32(options.sampleWeight, 'sampleWeight');
    await abortable(options.signal, (stop) => this.native.fit(data, nFeatures, weights, stop));
    return this;
  }

  /** The distance of each row to every centroid, row-major `rows x nClusters`. */
  transform(X: Matrix): Float32Array {
    const { data, nFeatures } = rowMajor(X);
    return call(() => this.native.transform(data, nFeatures));
  }

  /** The nearest centroid of each row. */
  predict(X: Matrix): Uint32Array {
    const { data, nFeatures } = rowMajor(X);
    return call(() => this.native.predict(data, nFeatures));
  }

  async fitPredict(X: Matrix, options: KMeansFitOptions = {}): Promise<Uint32Array> {
    await this.fit(X, options);
    return this.labels;
  }

  /** Squared distance of each row to its nearest centroid. */
  scoreSamples(X: Matrix): Float64Array {
    const { data, nFeatures } = rowMajor(X);
    return call(() => this.native.scoreSamples(data, nFeatures));
  }

  get isFitted(): boolean {
    return this.native.isFitted;
  }

  /** `nClusters x nFeatures`, row-major. */
  get centroids(): Float32Array {
    return call(() => this.native.centroids);
  }

  get labels(): Uint32Array {
    return call(() => this.native.labels);
  }

  get inertia(): number {
    return call(() => this.native.inertia);
  }

  get nIter(): number {
    return call(() => this.native.nIter);
  }

  toBuffer(): Buffer {
    return call(() => this.native.toBuffer());
  }

  save(path: string): void {
    call(() => this.native.save(path));
  }

  static fromBuffer(bytes: Buffer): KMeans {
    return new KMeans({}, call(() => native.KMeans.fromBuffer(bytes)));
  }

  static load(path: string): KMeans {
    return new KMeans({}, call(() => native.KMeans.load(path)));
  }
}

/** LightGBM's parameter names (the objective is the class's). */
export type GbdtOptions = Omit<Native.GbdtOptions, 'objective'>;

export interface GbdtFitOptions {
  /** Row weights. */
  weights?: Numbers;
  /** Validation data: metrics per round, and the rounds `earlyStoppingRounds` watches. */
  evalSet?: { X: Matrix; y: Numbers; groups?: readonly number[] };
  /** Stops the fit before its next round: it rejects with code `ABORTED`, the model unchanged. */
  signal?: AbortSignal;
}

function trainingData(X: Matrix, y: Numbers, groups?: readonly number[], weights?: Numbers) {
  const { data, nFeatures } = rowMajor(X);
  return {
    features: data,
    nFeatures,
    labels: float32(y, 'y'),
    weights: weights === undefined ? undefined : float32(weights, 'weights'),
    groups: groups === undefined ? undefined : [...groups],
  } satisfies Native.TrainingData;
}

/** Gradient-boosted trees; read and written in LightGBM's text format. */
abstract class Gbdt {
  /** @internal */
  readonly native: Native.Gbdt;
  /** Validation metrics of the last fit, round by round. */
  evaluations: Evaluation[] = [];

  protected constructor(objective: string, options: GbdtOptions, from?: Native.Gbdt) {
    this.native = from ?? call(() => new native.Gbdt({ ...options, objective }));
  }

  /** @internal */
  protected async fitData(train: Native.TrainingData, options: GbdtFitOptions): Promise<this> {
    const e = options.evalSet;
    const valid = e && trainingData(e.X, e.y, e.groups);
    this.evaluations = await abortable(options.signal, (stop) => this.native.fit(train, valid, stop));
    return this;
  }

  /** Raw scores (regression values, log-odds, ranking scores). */
  predict(X: Matrix): Float64Array {
    const { data, nFeatures } = rowMajor(X);
    return call(() => this.native.predict(data, nFeatures));
  }

  get isFitted(): boolean {
    return this.native.isFitted;
  }

  /** Splits per feature (`"split"`) or their total gain (`"gain"`). */
  featureImportance(kind: 'split' | 'gain' = 'split'): Float64Array {
    return call(() => this.native.featureImportance(kind));
  }

  get nTrees(): number {
    return call(() => this.native.nTrees);
  }

  /** The round early stopping kept, when it stopped early. */
  get bestIteration(): number | null {
    return call(() => this.native.bestIteration);
  }

  /** A model LightGBM wrote (`Booster.save_model` / `model_to_string`), of this class's objective. */
  static fromLightGBM<T extends Gbdt>(this: GbdtClass<T>, text: string): T {
    return loaded(this, (objective) => native.Gbdt.fromLightGBM(text, objective));
  }

  static fromBuffer<T extends Gbdt>(this: GbdtClass<T>, bytes: Buffer): T {
    return loaded(this, (objective) => native.Gbdt.fromBuffer(bytes, objective));
  }

  static load<T extends Gbdt>(this: GbdtClass<T>, path: string): T {
    return loaded(this, (objective) => native.Gbdt.load(path, objective));
  }

  /** The model in LightGBM's text format, which LightGBM's `Booster(model_str=...)` loads. */
  toLightGBM(): string {
    return call(() => this.native.toLightGBM());
  }

  toBuffer(): Buffer {
    return call(() => this.native.toBuffer());
  }

  save(path: string): void {
    call(() => this.native.save(path));
  }
}

/** A class of one objective: what the loading statics build. */
interface GbdtClass<T extends Gbdt> {
  readonly objective: string;
  readonly prototype: T;
}

/** A loaded model as an instance of `cls`; `load` gets the objective the file must have. */
function loaded<T extends Gbdt>(cls: GbdtClass<T>, load: (objective: string) => Native.Gbdt): T {
  const model = call(() => load(cls.objective));
  const out = Object.create(cls.prototype) as T;
  Object.defineProperty(out, 'native', { value: model, enumerable: true });
  out.evaluations = [];
  return out;
}

/** LightGBM's `LGBMRegressor` (squared error). */
export class GbdtRegressor extends Gbdt {
  static readonly objective = 'regression';
  constructor(options: GbdtOptions = {}) {
    super(GbdtRegressor.objective, options);
  }
  async fit(X: Matrix, y: Numbers, options: GbdtFitOptions = {}): Promise<this> {
    return this.fitData(trainingData(X, y, undefined, options.weights), options);
  }
}

/** LightGBM's `LGBMClassifier` (binary log loss; labels 0 and 1). */
export class GbdtClassifier extends Gbdt {
  static readonly objective = 'binary';
  constructor(options: GbdtOptions = {}) {
    super(GbdtClassifier.objective, options);
  }
  async fit(X: Matrix, y: Numbers, options: GbdtFitOptions = {}): Promise<this> {
    return this.fitData(trainingData(X, y, undefined, options.weights), options);
  }
  /** Probability of class 1 per row. */
  predictProba(X: Matrix): Float64Array {
    const { data, nFeatures } = rowMajor(X);
    return call(() => this.native.predictProba(data, nFeatures));
  }
}

/** LightGBM's `LGBMRanker` (LambdaMART); `groups` are the queries' sizes in row order. */
export class GbdtRanker extends Gbdt {
  static readonly objective = 'lambdarank';
  constructor(options: GbdtOptions = {}) {
    super(GbdtRanker.objective, options);
  }
  async fit(X: Matrix, y: Numbers, groups: readonly number[], options: GbdtFitOptions = {}): Promise<this> {
    return this.fitData(trainingData(X, y, groups, options.weights), options);
  }
}
