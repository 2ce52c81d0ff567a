"""Implicit-feedback matrix factorization, a drop-in for ``implicit.als``."""

from __future__ import annotations


import numpy as np

from . import _native
from ._base import RecommenderBase, _check_n, _unflatten
from ._convert import as_csr, as_ids, integer, number, optional_ids, seed
from ._progress import Progress

__all__ = ["AlternatingLeastSquares"]


class _UserWeights(int):
    """What ``explain`` returns as ``user_weights``: the user it was computed for."""

    def __repr__(self) -> str:
        return f"user {int(self)}"


class AlternatingLeastSquares(RecommenderBase):
    """Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008).

    The same parameters, defaults and conventions as ``implicit.als.AlternatingLeastSquares``
    0.7: the confidence of an observed entry is ``alpha * value`` (pass the matrix you would pass
    to implicit), rows are users, columns items, and ids are row and column indices.

    Parameters
    ----------
    factors : int, default 100
    regularization : float, default 0.01
    alpha : float, default 1.0
    iterations : int, default 15
    use_cg : bool, default True
        Conjugate gradient (``cg_steps`` steps per solve); False solves each system exactly.
    cg_steps : int, default 3
    calculate_training_loss : bool, default False
    random_state : int, numpy RandomState or Generator, or None
    num_threads : int, default 0
        0 uses every core (or ``RECSYS_NUM_THREADS`` when set).
    dtype : numpy.float32 or numpy.float64, default float32
        The dtype of ``user_factors`` / ``item_factors``. Training always runs in float32 (as
        implicit's GPU models do); float64 factors are the float32 ones widened.
    use_native : bool, default True
        Accepted for implicit's signature: implicit chooses between its C++ and Python solvers,
        recsys has one solver, so both values train the same model.
    use_gpu : bool, default False
        recsys runs on the CPU only; True raises ``ValueError``.
    """

    _kind = "als"
    _python_params = ("dtype", "use_native")
    _scores_from_history = False

    def __init__(
        self,
        factors: int = 100,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        use_cg: bool = True,
        cg_steps: int = 3,
        calculate_training_loss: bool = False,
        random_state=None,
        num_threads: int = 0,
        dtype=np.float32,
        use_native: bool = True,
        use_gpu: bool = False,
    ):
        if use_gpu:
            raise ValueError("use_gpu=True is not supported: recsys trains on the CPU")
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        self.use_native = bool(use_native)
        self.use_gpu = False
        self.factors = integer("factors", factors)
        self.regularization = number("regularization", regularization)
        self.alpha = number("alpha", alpha)
        self.iterations = integer("iterations", iterations)
        self.use_cg = bool(use_cg)
        self.cg_steps = integer("cg_steps", cg_steps)
        self.calculate_training_loss = bool(calculate_training_loss)
        self.random_state = random_state
        self.num_threads = integer("num_threads", num_threads)
        self._model = _native.Recommender.als(
            self.factors, self.regularization, self.alpha, self.iterations, self.use_cg,
            self.cg_steps, self.calculate_training_loss, seed(random_state), self.num_threads,
        )

    def _params(self) -> dict:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "use_cg": self.use_cg,
            "cg_steps": self.cg_steps,
            "calculate_training_loss": self.calculate_training_loss,
            "random_state": self.random_state,
            "num_threads": self.num_threads,
            "dtype": self.dtype,
            "use_native": self.use_native,
        }

    def _restore_params(self) -> None:
        for name, value in self._model.params.items():
            setattr(self, name, value)
        self.__dict__.setdefault("dtype", np.dtype(np.float32))
        self.__dict__.setdefault("use_native", True)
        self.use_gpu = False

    def fit(self, user_items, show_progress: bool = True, callback=None):
        """Factorizes a users x items matrix (scipy.sparse; CSR is used without copying).

        ``callback(iteration, elapsed_seconds, loss)`` runs after every iteration (loss is NaN
        unless ``calculate_training_loss``).
        """
        matrix = as_csr(user_items, warn_if_converted=True)
        progress = Progress(self.iterations, "ALS", show_progress)

        def on_iteration(iteration, elapsed, loss):
            progress.update(iteration + 1, "" if np.isnan(loss) else f"loss={loss:.5f}")
            if callback is not None:
                callback(iteration, elapsed, loss)

        try:
            self._model.fit(matrix, on_iteration)
        finally:
            progress.close()
        return self

    def explain(self, userid, user_items, itemid, user_weights=None, N: int = 10):
        """Why ``itemid`` scores as it does for ``userid`` (Hu, Koren & Volinsky 2008, section 5),
        as ``implicit``'s ``explain``: returns ``(total_score, top_contributions, user_weights)``
        where ``top_contributions`` are the ``N`` largest ``(itemid, share)`` pairs of the
        user's row of ``user_items`` (the shares sum to the score of the user's exact factors
        for that row).

        ``user_weights`` is accepted for implicit's signature: pass back what an earlier call
        for the same user returned. recsys recomputes the user's system each call (one
        ``factors x factors`` Cholesky solve), so it saves nothing.
        """
        if isinstance(userid, (bool, np.bool_)) or not isinstance(userid, (int, np.integer)):
            raise TypeError(f"userid must be an integer, got {type(userid).__name__}")
        rows = as_csr(user_items)
        if rows.shape[0] == 1:
            row = 0
        elif 0 <= userid < rows.shape[0]:
            row = int(userid)
        else:
            raise IndexError(f"user_items has {rows.shape[0]} rows: no row for userid {userid}")
        if user_weights is not None and user_weights != _UserWeights(int(userid)):
            raise ValueError(f"user_weights belong to user {user_weights!r}, not to user {userid}")
        start, end = rows.indptr[row], rows.indptr[row + 1]
        items = rows.indices[start:end].astype(np.int64)
        score, ids, shares = self._model.explain(items, rows.data[start:end], int(itemid), _check_n(N))
        return score, list(zip(ids, shares)), _UserWeights(int(userid))

    def similar_users(self, userid, N: int = 10, filter_users=None, users=None):
        """The ``N`` users most similar to ``userid`` by cosine of the user factors (the user
        itself first), optionally leaving out ``filter_users`` or keeping only ``users``."""
        ids_in, single = as_ids(userid, "userid")
        ids, scores, offsets = self._model.similar_users(
            ids_in, _check_n(N), optional_ids(filter_users, "filter_users"), optional_ids(users, "users")
        )
        return _unflatten(ids, scores, offsets, single)

    def partial_fit_users(self, userids, user_items):
        """Recomputes the factors of ``userids`` from their rows in ``user_items`` (one row per
        id), adding users the model has not seen; item factors stay fixed."""
        ids, _ = as_ids(userids, "userids")
        self._model.partial_fit_users(ids, as_csr(user_items))

    def partial_fit_items(self, itemids, item_users):
        """Recomputes the factors of ``itemids`` from their rows in ``item_users`` (one row per
        id; columns are users), adding new items; user factors stay fixed."""
        ids, _ = as_ids(itemids, "itemids")
        self._model.partial_fit_items(ids, as_csr(item_users, "item_users"))

    @property
    def user_factors(self) -> np.ndarray:
        """Array of ``dtype``, one row per user."""
        return self._model.user_factors.astype(self.dtype, copy=False)

    @property
    def item_factors(self) -> np.ndarray:
        """Array of ``dtype``, one row per item."""
        return self._model.item_factors.astype(self.dtype, copy=False)
