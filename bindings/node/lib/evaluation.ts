// Splits and ranking metrics as implicit defines them (`implicit.evaluation`).
import { call, settle } from './errors.js';
import { Interactions } from './data.js';
import { native } from './native.js';
import type { Recommender } from './recommenders.js';

import type { RankingMetrics } from '../native.cjs';
export type { RankingMetrics };

/** Each interaction goes to train with probability `trainFraction` (default 0.8). */
export function trainTestSplit(
  data: Interactions,
  options: { trainFraction?: number; seed?: number } = {},
): [Interactions, Interactions] {
  const [train, test] = call(() =>
    native.trainTestSplit(data.native, options.trainFraction, options.seed),
  );
  return [new Interactions(train), new Interactions(test)];
}

/** `k` interactions of each user with more than `k` go to test (default 1). */
export function leaveKOutSplit(
  data: Interactions,
  options: { k?: number; trainOnlyFraction?: number; seed?: number } = {},
): [Interactions, Interactions] {
  const [train, test] = call(() =>
    native.leaveKOutSplit(data.native, options.k, options.trainOnlyFraction, options.seed),
  );
  return [new Interactions(train), new Interactions(test)];
}

/** Precision, MAP, NDCG and AUC at `k` (default 10), computed off the event loop. */
export function rankingMetricsAtK(
  model: Recommender,
  train: Interactions,
  test: Interactions,
  options: { k?: number } = {},
): Promise<RankingMetrics> {
  return settle(() => native.rankingMetricsAtK(model.native, train.native, test.native, options.k));
}
