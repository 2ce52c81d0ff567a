"""recsys ALS vs implicit 0.7.3 ALS (conjugate gradient), same data, same settings, one run.

Run through run.sh, which prepares the venv with implicit and the recsys Python bindings. Both
libraries run in this one process on the same arrays: for every dataset this script builds the
interaction matrix, splits it with implicit.evaluation.train_test_split (seeded), hands the
identical matrices to `implicit.als.AlternatingLeastSquares` and `recsys.als.
AlternatingLeastSquares` and reports fit time, time per iteration, batch recommend throughput,
precision@10 and NDCG@10 (each library's own evaluation code; the definitions are the same), and
the ratios.

Equal settings: the confidence is c = 1 + alpha * r (Hu et al.'s linear scheme). Both libraries'
Python APIs take the matrix values as the confidence (times their own alpha), so both get the
matrix 1 + alpha * r with their alpha = 1.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

import implicit
import recsys
import recsys.evaluation
from implicit.als import AlternatingLeastSquares
from implicit.evaluation import ranking_metrics_at_k, train_test_split

# the repository: where the default data and results paths start
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def power_law(n_users, n_items, nnz, seed):
    """Power-law users x items with planted taste clusters (exactly nnz distinct pairs): item
    popularity ~ 1/(rank+10)^0.9, log-normal user activity, 70% of picks in the user's cluster,
    values are counts 1..4."""
    clusters = 20
    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(n_items) + 10.0) ** 0.9
    activity = rng.lognormal(0.0, 1.0, n_users)
    counts = np.maximum(1, np.round(activity / activity.sum() * nnz * 1.3)).astype(np.int64)
    users = np.repeat(np.arange(n_users), counts)
    items = np.empty(len(users), dtype=np.int64)
    in_cluster = rng.random(len(users)) < 0.7
    glob = ~in_cluster
    items[glob] = rng.choice(n_items, size=glob.sum(), p=weights / weights.sum())
    user_cluster = users % clusters
    for c in range(clusters):
        members = np.arange(c, n_items, clusters)
        w = weights[members] / weights[members].sum()
        mask = in_cluster & (user_cluster == c)
        items[mask] = members[rng.choice(len(members), size=mask.sum(), p=w)]
    values = 1.0 + rng.integers(0, 4, len(users)).astype(np.float32)
    m = sp.coo_matrix((values, (users, items)), shape=(n_users, n_items)).tocsr()
    m.sum_duplicates()
    # drawn with replacement, so a few too many distinct pairs: drop random ones down to nnz
    coo = m.tocoo()
    keep = np.sort(rng.choice(coo.nnz, size=min(nnz, coo.nnz), replace=False))
    m = sp.coo_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=m.shape).tocsr()
    return m.astype(np.float32)


def movielens(path):
    raw = np.loadtxt(path, delimiter="\t", skiprows=1, dtype=np.float64)
    raw = raw[raw[:, 2] >= 4]
    users, u_idx = np.unique(raw[:, 0].astype(np.int64), return_inverse=True)
    items, i_idx = np.unique(raw[:, 1].astype(np.int64), return_inverse=True)
    m = sp.coo_matrix((np.ones(len(raw), np.float32), (u_idx, i_idx)), shape=(len(users), len(items)))
    return m.tocsr()


def run_implicit(train, test, s):
    conf = train.copy()
    conf.data = 1.0 + s["alpha"] * conf.data
    per_iteration = []
    # implicit's advice: a single-threaded BLAS, its own threads for the work.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=s["factors"], regularization=s["regularization"], alpha=1.0,
            iterations=s["iterations"], use_cg=True, num_threads=s["threads"], random_state=s["seed"],
        )
        model.cg_steps = s["cg_steps"]
        start = time.perf_counter()
        model.fit(conf, show_progress=False, callback=lambda it, elapsed, loss: per_iteration.append(elapsed))
        fit_s = time.perf_counter() - start
        n_rec = min(s["recommend_users"], train.shape[0])
        userids = np.arange(n_rec)
        start = time.perf_counter()
        ids, _ = model.recommend(userids, conf[userids], N=s["k"], filter_already_liked_items=True)
        rec_s = time.perf_counter() - start
        assert ids.shape == (n_rec, s["k"])
        metrics = ranking_metrics_at_k(model, conf, test, K=s["k"], show_progress=False, num_threads=s["threads"])
    raw = model.user_factors.nbytes + model.item_factors.nbytes
    return {
        "fit_s": fit_s,
        "ms_per_iteration": 1000.0 * float(np.mean(per_iteration)),
        "recommend_users_per_s": n_rec / rec_s,
        "precision": metrics["precision"],
        "ndcg": metrics["ndcg"],
        "map": metrics["map"],
        "auc": metrics["auc"],
        "model_bytes": raw,
        "raw_bytes": raw,
    }


def run_recsys(train, test, s):
    conf = train.copy()
    conf.data = 1.0 + s["alpha"] * conf.data
    per_iteration = []
    model = recsys.als.AlternatingLeastSquares(
        factors=s["factors"], regularization=s["regularization"], alpha=1.0, iterations=s["iterations"],
        use_cg=True, cg_steps=s["cg_steps"], num_threads=s["threads"], random_state=s["seed"],
    )
    start = time.perf_counter()
    model.fit(conf, show_progress=False, callback=lambda it, elapsed, loss: per_iteration.append(elapsed))
    fit_s = time.perf_counter() - start
    n_rec = min(s["recommend_users"], train.shape[0])
    userids = np.arange(n_rec)
    start = time.perf_counter()
    ids, _ = model.recommend(userids, conf[userids], N=s["k"], filter_already_liked_items=True)
    rec_s = time.perf_counter() - start
    assert ids.shape == (n_rec, s["k"])
    metrics = recsys.evaluation.ranking_metrics_at_k(model, conf, test, K=s["k"])
    raw = model.user_factors.nbytes + model.item_factors.nbytes
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.recsys")
        model.save(path)
        saved = os.path.getsize(path)
    return {
        "fit_s": fit_s,
        "ms_per_iteration": 1000.0 * float(np.mean(per_iteration)),
        "recommend_users_per_s": n_rec / rec_s,
        "precision": metrics["precision"],
        "ndcg": metrics["ndcg"],
        "map": metrics["map"],
        "auc": metrics["auc"],
        "model_bytes": saved,
        "raw_bytes": raw,
    }


ROWS = [
    ("fit seconds", "fit_s", "{:.2f}", "lower"),
    ("ms / iteration", "ms_per_iteration", "{:.1f}", "lower"),
    ("batch recommend users/s", "recommend_users_per_s", "{:,.0f}", "higher"),
    ("precision@10", "precision", "{:.4f}", None),
    ("NDCG@10", "ndcg", "{:.4f}", None),
    ("model bytes / raw factor bytes", None, "{:.3f}", None),  # recsys: its saved file
]


def table(name, shape, nnz, imp, rs):
    lines = [f"\n### {name}: {shape[0]:,} users x {shape[1]:,} items, {nnz:,} interactions\n",
             "| measure | implicit 0.7.3 | recsys | recsys vs implicit |", "| --- | ---: | ---: | ---: |"]
    for label, key, fmt, better in ROWS:
        if key is None:
            a, b = imp["model_bytes"] / imp["raw_bytes"], rs["model_bytes"] / rs["raw_bytes"]
            lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | |")
            continue
        a, b = imp[key], rs[key]
        if better == "lower":
            ratio = f"{a / b:.2f}x faster"
        elif better == "higher":
            ratio = f"{b / a:.2f}x faster"
        else:
            ratio = f"{b - a:+.4f}"
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ml100k", default=os.path.join(ROOT, "data/ml-100k/ml-100k.inter"))
    ap.add_argument("--out", default=os.path.join(ROOT, "benches/compare/results"))
    ap.add_argument("--datasets", default="synthetic,synthetic10x,ml100k")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    common = {"iterations": 15, "cg_steps": 3, "threads": args.threads, "seed": args.seed,
              "recommend_users": 10000, "k": 10}
    datasets = {
        "synthetic": lambda: (power_law(50_000, 20_000, 1_810_000, args.seed),
                              dict(common, factors=64, regularization=0.05, alpha=1.0)),
        "synthetic10x": lambda: (power_law(500_000, 200_000, 18_100_000, args.seed),
                                 dict(common, factors=64, regularization=0.05, alpha=1.0, eval_users=20_000)),
        "ml100k": lambda: (movielens(args.ml100k),
                           dict(common, factors=64, regularization=20.0, alpha=2.0)),
    }
    print(f"# recsys {recsys.__version__} (Python bindings) vs implicit {implicit.__version__}: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus, {args.threads} threads, numpy {np.__version__}")
    print("BLAS: " + ", ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                               for i in threadpool_info()))
    results = {}
    for name in args.datasets.split(","):
        matrix, settings = datasets[name]()
        train, test = train_test_split(matrix, 0.8, random_state=args.seed)
        if settings.get("eval_users"):
            # Scoring every user against every item is quadratic: on the large set both libraries
            # are evaluated on the same first eval_users users' test items.
            keep = sp.diags((np.arange(test.shape[0]) < settings["eval_users"]).astype(np.float32))
            test = (keep @ test).tocsr()
            test.eliminate_zeros()
        rs = run_recsys(train, test, settings)
        imp = run_implicit(train, test, settings)
        results[name] = {"settings": settings, "implicit": imp, "recsys": rs,
                         "shape": matrix.shape, "nnz": int(matrix.nnz)}
        print(table(name, matrix.shape, matrix.nnz, imp, rs))
        print(f"settings: {json.dumps(settings)}")
        sys.stdout.flush()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"als-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nresults: {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
