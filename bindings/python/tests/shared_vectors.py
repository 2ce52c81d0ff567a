"""The shared test vectors of the bindings, Python's side (see examples/shared_vectors.rs for the
data and the model, and bindings/node/test/shared-vectors.test.ts, which runs this script beside
the Rust program and compares the answers bit for bit).

    python shared_vectors.py fit MODEL_OUT    # fit, save, answer (JSON on stdout)
    python shared_vectors.py load MODEL_IN    # load, answer
"""

import json
import sys

import numpy as np
import scipy.sparse as sp

from recsys.als import AlternatingLeastSquares

USERS, ITEMS = 97, 61


def data() -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for u in range(USERS):
        for k in range(12):
            rows.append(u)
            cols.append((7 * u + 3 * k * k + k) % ITEMS)
            vals.append(1 + (u + 3 * k) % 4)
    m = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(USERS, ITEMS))
    m.sum_duplicates()
    m.sort_indices()
    return m


def bits(values) -> list[int]:
    return np.ascontiguousarray(values, dtype=np.float32).ravel().view(np.uint32).tolist()


def answer(model: AlternatingLeastSquares, user_items: sp.csr_matrix) -> dict:
    top = []
    for u in range(10):
        ids, scores = model.recommend(u, user_items[u], N=10)
        top.append({"ids": [int(i) for i in ids], "scores": bits(scores)})
    return {
        "user_factors": bits(model.user_factors),
        "item_factors": bits(model.item_factors),
        "top10": top,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("fit", "load"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = argv
    user_items = data()
    if mode == "fit":
        model = AlternatingLeastSquares(
            factors=16, regularization=0.05, alpha=2.0, iterations=8, use_cg=True, cg_steps=3,
            random_state=42,
        )
        model.fit(user_items, show_progress=False)
        model.save(path)
    else:
        model = AlternatingLeastSquares.load(path)
    print(json.dumps(answer(model, user_items)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
