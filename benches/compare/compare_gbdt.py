"""recsys GBDT vs LightGBM 4.7, same data, LightGBM's default settings (100 rounds, 31 leaves,
learning rate 0.1, min_data_in_leaf 20, max_bin 255), 2 threads, one run. Run through run.sh.

- LambdaMART on the MSLR-WEB10K sample (rankeval 0.8.2: 5,000 training rows in 43 queries,
  136 features; the test file the same size): test NDCG@10 (LightGBM's definition: gains
  2^label - 1, queries without relevant documents count 1).
- Binary classification, 1,000,000 x 50 synthetic rows: test AUC.
- Regression, 1,000,000 x 50 synthetic rows: test RMSE.
Both libraries run in this one process on the same arrays (recsys through its Python bindings,
recsys.gbdt), and their test predictions are scored by the same code here. Also timed: prediction
of the test rows (and recsys serving LightGBM's model); and the peak memory of the 1M-row fits,
each in a fresh process.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.metrics import roc_auc_score

import lightgbm as lgb

# the repository: where the default data and results paths start
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def groups(qid):
    _, first, counts = np.unique(qid, return_index=True, return_counts=True)
    return counts[np.argsort(first)]


def ndcg_at(scores, labels, sizes, k=10):
    out, start = [], 0
    for c in sizes:
        s, l = scores[start:start + c], labels[start:start + c]
        start += c
        gains = 2.0 ** l - 1
        disc = 1.0 / np.log2(np.arange(2, 2 + c))
        ideal = np.sort(gains)[::-1][:k] @ disc[:min(k, c)]
        if ideal <= 0:
            out.append(1.0)
            continue
        order = np.argsort(-s, kind="stable")[:k]
        out.append(gains[order] @ disc[:len(order)] / ideal)
    return float(np.mean(out))


def synthetic(n, d, kind, seed):
    """Gaussian features; the target is a non-linear function of the first 10 plus noise:
    Bernoulli of its logistic for binary, the value for regression. Every term that interacts
    also has a main effect: a pure interaction (x1 * x2 alone) is found by greedy trees only by
    chance, which makes both libraries' scores swing with tiny differences in early splits."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    f = (X[:, 0] + 0.5 * X[:, 1] + 0.5 * X[:, 2] + 0.5 * X[:, 1] * X[:, 2] - 0.6 * np.abs(X[:, 3])
         + 0.5 * np.sin(2 * X[:, 4]) + 0.4 * X[:, 5] ** 2 - 0.4 + 0.3 * X[:, 6] * (X[:, 7] > 0)
         + 0.3 * X[:, 7] + 0.2 * X[:, 8] - 0.2 * X[:, 9])
    if kind == "binary":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * f))).astype(np.float32)
    else:
        y = (f + 0.5 * rng.standard_normal(n)).astype(np.float32)
    return X, y


def fastest(f, repeat=3):
    """Seconds of the fastest of `repeat` calls of f."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def timed_fit(model, *args, repeat=1, **kwargs):
    """Seconds of the fastest of `repeat` fits (a fit of a fraction of a second swings with
    whatever else the machine does; the fastest is the least disturbed)."""
    return fastest(lambda: model.fit(*args, **kwargs), repeat)


MEMORY_CHILD = """
import os, sys
sys.path.insert(0, {here!r})
from compare_gbdt import synthetic
os.environ["RECSYS_NUM_THREADS"] = "{threads}"
X, y = synthetic({rows}, 50, {kind!r}, {seed})
if {lib!r} == "lightgbm":
    import lightgbm as lgb
    model = (lgb.LGBMClassifier if {kind!r} == "binary" else lgb.LGBMRegressor)(n_jobs={threads}, verbose=-1)
else:
    from recsys.gbdt import GBDTClassifier, GBDTRegressor
    model = GBDTClassifier() if {kind!r} == "binary" else GBDTRegressor()
def kb(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak resident size (VmHWM) to the current one
before = kb("VmRSS")
model.fit(X, y)
print((kb("VmHWM") - before) / 1024)
"""


def fit_memory(lib, kind, rows, seed, threads):
    """Peak memory (MB) a fit adds to a process that holds the data, each library in a fresh
    process of its own (Linux: the peak is reset just before the fit)."""
    code = MEMORY_CHILD.format(here=os.path.dirname(os.path.abspath(__file__)), lib=lib, kind=kind, rows=rows, seed=seed, threads=threads)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def serving(task, model, ours, Xt, proba):
    """Prediction of the test rows: LightGBM with its model, recsys with its own, and recsys
    serving LightGBM's model read from its text format (recsys.gbdt.from_lightgbm), with the
    largest difference of that from LightGBM's own predictions."""
    from recsys.gbdt import from_lightgbm

    served = from_lightgbm(booster=model.booster_)
    if proba:
        theirs, mine, read = (lambda m=m: m.predict_proba(Xt)[:, 1] for m in (model, ours, served))
    else:
        theirs, mine, read = (lambda m=m: m.predict(Xt) for m in (model, ours, served))
    return (task, len(Xt), fastest(theirs), fastest(mine), fastest(read), float(np.abs(read() - theirs()).max()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mslr", default=os.path.join(ROOT, "data/mslr"), help="folder with msn1.fold1.{train,test}.5k.txt")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches/compare/results"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    os.environ["RECSYS_NUM_THREADS"] = str(args.threads)  # read when recsys starts its pool
    import recsys
    from recsys.gbdt import GBDTClassifier, GBDTRanker, GBDTRegressor

    print(f"# recsys {recsys.__version__} (Python bindings) vs LightGBM {lgb.__version__}: {os.cpu_count()} cpus, {args.threads} threads, defaults")
    rows = []
    train_path = os.path.join(args.mslr, "msn1.fold1.train.5k.txt")
    test_path = os.path.join(args.mslr, "msn1.fold1.test.5k.txt")
    Xtr, ytr, qtr = load_svmlight_file(train_path, query_id=True)
    Xte, yte, qte = load_svmlight_file(test_path, query_id=True, n_features=Xtr.shape[1])
    Xtr, Xte = Xtr.toarray().astype(np.float32), Xte.toarray().astype(np.float32)
    gtr, gte = groups(qtr), groups(qte)
    ours = GBDTRanker()
    rs_s = timed_fit(ours, Xtr, ytr, group=gtr, repeat=5)
    rs_q = ndcg_at(ours.predict(Xte), yte, gte)
    time.sleep(0.5)
    model = lgb.LGBMRanker(n_jobs=args.threads, verbose=-1)
    lg_s = timed_fit(model, Xtr, ytr, group=gtr, repeat=5)
    lg_q = ndcg_at(model.predict(Xte), yte, gte)
    rows.append(("LambdaMART, MSLR sample (5,000 rows, 136 features; fastest of 5 fits)", lg_s, rs_s, "NDCG@10", lg_q, rs_q))
    served = [serving("LambdaMART, MSLR sample", model, ours, Xte, proba=False)]
    memory = []

    # 43 test queries make NDCG@10 noisy: the same comparison over a grid of settings shows
    # whether a gap is systematic or chance
    grid = []
    for rounds in [10, 30, 60, 100]:
        for min_data in [20, 50]:
            m = GBDTRanker(n_estimators=rounds, min_child_samples=min_data).fit(Xtr, ytr, group=gtr)
            ours_q = ndcg_at(m.predict(Xte), yte, gte)
            m = lgb.LGBMRanker(n_jobs=args.threads, verbose=-1, n_estimators=rounds, min_child_samples=min_data)
            theirs = ndcg_at(m.fit(Xtr, ytr, group=gtr).predict(Xte), yte, gte)
            grid.append((rounds, min_data, theirs, ours_q))

    for kind in ["binary", "regression"]:
        X, y = synthetic(args.rows + 200_000, 50, kind, args.seed)
        Xfit, yfit, Xt, yt = X[:args.rows], y[:args.rows], X[args.rows:], y[args.rows:]
        ours = GBDTClassifier() if kind == "binary" else GBDTRegressor()
        rs_s = timed_fit(ours, Xfit, yfit)
        time.sleep(0.5)
        cls = lgb.LGBMClassifier if kind == "binary" else lgb.LGBMRegressor
        model = cls(n_jobs=args.threads, verbose=-1)
        lg_s = timed_fit(model, Xfit, yfit)
        if kind == "binary":
            lg_q = roc_auc_score(yt, model.predict_proba(Xt)[:, 1])
            rs_q, metric = roc_auc_score(yt, ours.predict_proba(Xt)[:, 1]), "AUC"
        else:
            lg_q = float(np.sqrt(np.mean((model.predict(Xt) - yt) ** 2)))
            rs_q, metric = float(np.sqrt(np.mean((ours.predict(Xt) - yt) ** 2))), "RMSE"
        rows.append((f"{kind}, synthetic {args.rows:,} x 50", lg_s, rs_s, metric, lg_q, rs_q))
        served.append(serving(f"{kind}, synthetic", model, ours, Xt, proba=kind == "binary"))
        del model, ours
        memory.append((f"{kind}, synthetic {args.rows:,} x 50",
                       fit_memory("lightgbm", kind, args.rows, args.seed, args.threads),
                       fit_memory("recsys", kind, args.rows, args.seed, args.threads)))
    print("\nMSLR test NDCG@10 over rounds x min_data_in_leaf (LightGBM / recsys / difference):")
    for rounds, min_data, theirs, ours in grid:
        print(f"  {rounds:>3} rounds, min_data_in_leaf {min_data}: {theirs:.4f} / {ours:.4f} / {ours - theirs:+.4f}")
    diffs = [o - t for _, _, t, o in grid]
    print(f"  mean difference {np.mean(diffs):+.4f}, recsys ahead in {sum(d > 0 for d in diffs)} of {len(diffs)}")
    print("\n| task | LightGBM s | recsys s | recsys time / LightGBM time | metric | LightGBM | recsys |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for task, lg_s, rs_s, metric, lg_q, rs_q in rows:
        print(f"| {task} | {lg_s:.2f} | {rs_s:.2f} | {rs_s / lg_s:.2f}x | {metric} | {lg_q:.4f} | {rs_q:.4f} |")
    print("\nPrediction of the test rows (fastest of 3; probabilities for binary, scores otherwise):\n")
    print("| task | rows | LightGBM s | recsys s (its own model) | recsys / LightGBM | recsys serving LightGBM's model s | largest difference from LightGBM's predictions |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for task, n, lg_p, rs_p, sv_p, diff in served:
        print(f"| {task} | {n:,} | {lg_p:.3f} | {rs_p:.3f} | {rs_p / lg_p:.2f}x | {sv_p:.3f} | {diff:.1e} |")
    print("\nPeak memory a fit adds to a process holding the data (float32 X), each in a fresh process:\n")
    print("| task | LightGBM MB | recsys MB | recsys / LightGBM |")
    print("| --- | ---: | ---: | ---: |")
    for task, lg_m, rs_m in memory:
        print(f"| {task} | {lg_m:.0f} | {rs_m:.0f} | {rs_m / lg_m:.2f}x |")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"gbdt-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump({
            "training": [dict(task=t, lightgbm_s=a, recsys_s=b, metric=m, lightgbm=c, recsys=d) for t, a, b, m, c, d in rows],
            "fit_memory_mb": [dict(task=t, lightgbm=a, recsys=b) for t, a, b in memory],
            "prediction": [dict(task=t, rows=n, lightgbm_s=a, recsys_s=b, recsys_serving_lightgbm_model_s=c, largest_difference=d) for t, n, a, b, c, d in served],
        }, f, indent=2)
    print(f"\nresults: {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
