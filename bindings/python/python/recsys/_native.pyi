"""Types of the compiled module. Use the public modules (recsys.als, recsys.evaluation, ...)."""

from typing import Callable

import numpy as np
import numpy.typing as npt

from ._convert import Csr

__version__: str

class NotFittedError(ValueError): ...

_Lists = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.int64]]
_CsrOut = tuple[tuple[int, int], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]

class Recommender:
    @staticmethod
    def als(
        factors: int,
        regularization: float,
        alpha: float,
        iterations: int,
        use_cg: bool,
        cg_steps: int,
        calculate_training_loss: bool,
        random_state: int,
        num_threads: int,
    ) -> Recommender: ...
    @staticmethod
    def popular() -> Recommender: ...
    @property
    def kind(self) -> str: ...
    @property
    def is_fitted(self) -> bool: ...
    @property
    def params_json(self) -> str: ...
    @property
    def user_factors(self) -> npt.NDArray[np.float32]: ...
    @property
    def item_factors(self) -> npt.NDArray[np.float32]: ...
    def fit(self, user_items: Csr, callback: Callable[[int, float, float], object] | None = None) -> None: ...
    def recommend(
        self,
        userids: npt.NDArray[np.int64],
        user_items: Csr,
        n: int,
        filter_already_liked_items: bool,
        filter_items: npt.NDArray[np.int64] | None,
        recalculate_user: bool,
        items: npt.NDArray[np.int64] | None,
    ) -> _Lists: ...
    def similar_items(
        self, itemids: npt.NDArray[np.int64], n: int, filter_items: npt.NDArray[np.int64] | None, items: npt.NDArray[np.int64] | None
    ) -> _Lists: ...
    def similar_users(self, userids: npt.NDArray[np.int64], n: int) -> _Lists: ...
    def partial_fit_users(self, userids: npt.NDArray[np.int64], user_items: Csr) -> None: ...
    def partial_fit_items(self, itemids: npt.NDArray[np.int64], item_users: Csr) -> None: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Recommender: ...

def train_test_split(ratings: Csr, train_percentage: float, seed: int) -> tuple[_CsrOut, _CsrOut]: ...
def leave_k_out_split(ratings: Csr, k: int, train_only_size: float, seed: int) -> tuple[_CsrOut, _CsrOut]: ...
def ranking_metrics_at_k(
    model: Recommender, train_user_items: Csr, test_user_items: Csr, k: int
) -> tuple[float, float, float, float, float, int]: ...
