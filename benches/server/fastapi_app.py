"""The seed-equivalent stack the server is compared with: FastAPI + uvicorn (one worker) +
implicit's ALS (64 factors) on MovieLens-100K, with one endpoint that returns a user's top-10
product ids and scores (items the user rated left out), as the system recsys replaces serves it.

    RECSYS_ML100K=data/ml-100k uvicorn fastapi_app:app --workers 1
"""

import os

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from fastapi import FastAPI, HTTPException
from implicit.als import AlternatingLeastSquares


def _load(folder):
    users, items, values = [], [], []
    with open(os.path.join(folder, "ml-100k.inter")) as f:
        next(f)
        for line in f:
            u, i, r, _ = line.split("\t")
            users.append(int(u))
            items.append(int(i))
            values.append(float(r))
    n_users, n_items = max(users) + 1, max(items) + 1
    return sp.csr_matrix((values, (users, items)), shape=(n_users, n_items), dtype=np.float32)


user_items = _load(os.environ.get("RECSYS_ML100K", "data/ml-100k"))
with threadpool_limits(1, "blas"):
    model = AlternatingLeastSquares(factors=64, iterations=15, regularization=0.05, random_state=42)
    model.fit(user_items, show_progress=False)

app = FastAPI()


@app.get("/recommendations/{user_id}")
def recommendations(user_id: int):
    if not 0 < user_id < user_items.shape[0]:
        raise HTTPException(status_code=404, detail="unknown user")
    ids, scores = model.recommend(user_id, user_items[user_id], N=10, filter_already_liked_items=True)
    return {"user_id": user_id, "items": [{"id": int(i), "score": float(s)} for i, s in zip(ids, scores)]}
