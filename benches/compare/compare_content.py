"""recsys vs scikit-learn 1.9: TF-IDF, all-items cosine neighbours, K-Means; one run, same
inputs, 2 threads. Run through run.sh, which prepares the venv and the recsys runner.

- TF-IDF fit + transform on MovieLens-100K item text (title + genres) and on a synthetic
  100,000-document corpus, with scikit-learn's defaults and with (English stop words, 1-2 grams,
  min_df 2, sublinear tf). The vocabularies must be identical and the weights equal to 1e-6.
- Every document's 10 nearest documents by cosine: sklearn's cosine_similarity on blocks of
  rows (the full product does not fit in memory) + argpartition per row, vs
  recsys_core::content::top_k_cosine.
- K-Means (k-means++, n_init=1) on 200,000 x 16 clustered data (k=20) and a 10,000 x 4 RFM-like
  set (k=5): mean time and inertia over 5 seeds each.
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity


def movielens_items(path):
    docs = []
    with open(path, encoding="latin-1") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            docs.append(f"{parts[1]} {parts[3] if len(parts) > 3 else ''}".strip())
    return docs


def synthetic_corpus(n_docs, seed):
    """Documents of Zipf-distributed made-up words (50,000-word vocabulary, ~60 words each)."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "to", "ri", "men", "sa", "lo", "ve", "qui", "dar", "ny", "pe", "zu", "bor", "el", "fi", "gan"]
    vocab = set()
    while len(vocab) < 50_000:
        parts = rng.integers(0, len(syllables), rng.integers(2, 5))
        vocab.add("".join(syllables[p] for p in parts))
    vocab = np.array(sorted(vocab))
    rng.shuffle(vocab)
    weights = 1.0 / (np.arange(len(vocab)) + 2.7) ** 1.05
    weights /= weights.sum()
    lengths = rng.poisson(60, n_docs) + 1
    words = vocab[rng.choice(len(vocab), size=lengths.sum(), p=weights)]
    docs, at = [], 0
    for n in lengths:
        docs.append(" ".join(words[at:at + n]))
        at += n
    return docs


def recsys(binary, *args):
    out = subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def read_csr(prefix, n_rows, n_cols):
    indptr = np.fromfile(prefix + ".indptr", dtype="<u8").astype(np.int64)
    indices = np.fromfile(prefix + ".indices", dtype="<u4")
    data = np.fromfile(prefix + ".data", dtype="<f4")
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


SETTINGS = {
    "defaults": ({}, []),
    "stop words, 1-2 grams, min_df 2, sublinear": (
        dict(stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        ["--stop-words", "english", "--ngram", "1", "2", "--min-df", "2", "--sublinear"],
    ),
}


def compare_tfidf(binary, name, docs, tmp, rows):
    path = os.path.join(tmp, "docs.txt")
    with open(path, "w") as f:
        f.write("\n".join(d.replace("\n", " ") for d in docs))
    for label, (sk_args, rs_args) in SETTINGS.items():
        vec = TfidfVectorizer(**sk_args)
        start = time.perf_counter()
        X = vec.fit_transform(docs)
        sk_s = time.perf_counter() - start
        out = os.path.join(tmp, "tfidf")
        rs = recsys(binary, "tfidf", path, out, *rs_args)
        vocab = open(out + ".vocab", encoding="utf-8").read().split("\n")
        same_vocab = vocab == list(vec.get_feature_names_out())
        ours = read_csr(out, len(docs), len(vocab))
        X = X.tocsr()
        X.sort_indices()
        same_structure = same_vocab and np.array_equal(ours.indptr, X.indptr) and np.array_equal(ours.indices, X.indices)
        max_rel = float(np.max(np.abs(ours.data - X.data) / np.abs(X.data))) if same_structure else float("nan")
        rows.append((f"TF-IDF fit+transform, {name}, {label}", sk_s, rs["seconds"],
                     f"vocabulary {'identical' if same_vocab else 'DIFFERENT'} ({len(vocab):,} terms), "
                     f"max relative weight difference {max_rel:.1e}"))


def compare_neighbours(binary, name, docs, tmp, rows, k=10, block=500):
    path = os.path.join(tmp, "docs.txt")
    with open(path, "w") as f:
        f.write("\n".join(d.replace("\n", " ") for d in docs))
    X = TfidfVectorizer().fit_transform(docs)
    start = time.perf_counter()
    second = []
    for lo in range(0, X.shape[0], block):
        S = cosine_similarity(X[lo:lo + block], X, dense_output=False).toarray()
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        scores = np.take_along_axis(S, top, axis=1)
        second.extend(np.sort(scores, axis=1)[:, -2])
    sk_s = time.perf_counter() - start
    rs = recsys(binary, "neighbours", path, k)
    rows.append((f"top-{k} cosine neighbours of every document, {name}", sk_s, rs["seconds"],
                 f"mean 2nd-best similarity {np.mean(second):.6f} (scikit-learn) vs {rs['mean_second_score']:.6f} (recsys)"))


def compare_kmeans(binary, name, X, k, tmp, rows, seeds=5):
    path = os.path.join(tmp, "kmeans.f32")
    X.astype("<f4").tofile(path)
    sk_t, sk_i, rs_t, rs_i = [], [], [], []
    for seed in range(seeds):
        start = time.perf_counter()
        m = KMeans(n_clusters=k, init="k-means++", n_init=1, random_state=seed).fit(X)
        sk_t.append(time.perf_counter() - start)
        sk_i.append(m.inertia_)
        # OpenMP workers keep spinning for a while after a parallel region; let them go idle so
        # they do not steal the cores from the next measurement
        time.sleep(0.5)
        rs = recsys(binary, "kmeans", path, X.shape[1], k, seed)
        rs_t.append(rs["seconds"])
        rs_i.append(rs["inertia"])
    rows.append((f"K-Means, {name}, k={k} (mean of {seeds} seeds)", float(np.mean(sk_t)), float(np.mean(rs_t)),
                 f"inertia {np.mean(sk_i):,.1f} (scikit-learn) vs {np.mean(rs_i):,.1f} (recsys): "
                 f"{100 * (np.mean(rs_i) / np.mean(sk_i) - 1):+.2f}%"))


def rfm_like(n, seed):
    """Recency, frequency, monetary, diversity of n customers, log-scaled and standardized as
    recsys_core::segments does."""
    rng = np.random.default_rng(seed)
    recency = rng.exponential(60.0, n)
    frequency = rng.negative_binomial(2, 0.25, n) + 1
    monetary = frequency * rng.lognormal(3.5, 0.8, n)
    diversity = np.minimum(frequency, rng.poisson(3, n) + 1)
    F = np.column_stack([recency, np.log1p(frequency), np.log1p(monetary), diversity])
    return ((F - F.mean(axis=0)) / F.std(axis=0)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recsys-bin", required=True)
    ap.add_argument("--ml100k-items", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(f"# recsys vs scikit-learn {sklearn.__version__}: {os.cpu_count()} cpus, {args.threads} threads")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads):
        ml = movielens_items(args.ml100k_items)
        corpus = synthetic_corpus(100_000, args.seed)
        compare_tfidf(args.recsys_bin, f"MovieLens-100K items ({len(ml):,} docs)", ml, tmp, rows)
        compare_tfidf(args.recsys_bin, "synthetic (100,000 docs)", corpus, tmp, rows)
        compare_neighbours(args.recsys_bin, f"MovieLens-100K items ({len(ml):,} docs)", ml, tmp, rows)
        compare_neighbours(args.recsys_bin, "synthetic (first 20,000 docs)", corpus[:20_000], tmp, rows)
        X, _ = make_blobs(n_samples=200_000, n_features=16, centers=20, random_state=args.seed)
        compare_kmeans(args.recsys_bin, "200,000 x 16 clustered", X.astype(np.float32), 20, tmp, rows)
        compare_kmeans(args.recsys_bin, "10,000 x 4 RFM-like", rfm_like(10_000, args.seed), 5, tmp, rows)
    print("\n| task | scikit-learn s | recsys s | recsys vs scikit-learn | agreement |")
    print("| --- | ---: | ---: | ---: | --- |")
    for task, sk_s, rs_s, note in rows:
        print(f"| {task} | {sk_s:.3f} | {rs_s:.3f} | {sk_s / rs_s:.1f}x faster | {note} |")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"content-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump([dict(task=t, sklearn_s=a, recsys_s=b, note=n) for t, a, b, n in rows], f, indent=2)
    print(f"\nresults: {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
