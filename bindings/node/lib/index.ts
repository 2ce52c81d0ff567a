// recsys for Node: the engine of recsys-core in process, off the event loop, typed.
//
//   import { Interactions, ALS } from 'recsys';
//   const data = Interactions.fromTriples(users, items, values);
//   const model = await new ALS({ factors: 64, seed: 42 }).fit(data);
//   model.recommend('alice', { n: 10 });   // { ids, scores }
//
// Models are saved in the core's format: a file written by Rust, Python or Node loads in the
// others and answers the same.
export { type ErrorCode, ERROR_CODES, type RecsysError, isRecsysError } from './errors.js';
export {
  type Id,
  type Ids,
  type Numbers,
  type Matrix,
  type CsrInput,
  type CsvOptions,
  type CsrArrays,
  Interactions,
} from './data.js';
export {
  type Ranked,
  type FitProgress,
  type FitOptions,
  type RecommendOptions,
  type SimilarOptions,
  type AlsOptions,
  type FactorMatrix,
  type SimilarUsersOptions,
  type CatalogItem,
  type ContentOptions,
  type HybridMember,
  Recommender,
  AnyRecommender,
  ALS,
  Popularity,
  ContentRecommender,
  Hybrid,
  fromConfig,
} from './recommenders.js';
export {
  type TfidfOptions,
  type SparseMatrix,
  type KMeansOptions,
  type GbdtOptions,
  type GbdtFitOptions,
  type KMeansFitOptions,
  type Evaluation,
  TfidfVectorizer,
  KMeans,
  GbdtRegressor,
  GbdtClassifier,
  GbdtRanker,
} from './models.js';
export * as evaluation from './evaluation.js';

