"""What the scikit-learn-style estimators share: scikit-learn's estimator contract (a
``BaseEstimator`` when scikit-learn is installed), save / load, pickling.

The contract, as scikit-learn states it: ``__init__`` only stores its arguments; ``fit``
checks them (the core's builders do) and the data, builds the native model and sets the
fitted attributes (names ending in ``_``); an estimator is fitted when its native model is.
"""

from __future__ import annotations

from ._convert import read_file, write_file
from ._errors import NotFittedError
from ._sklearn import BaseEstimator


class Estimator(BaseEstimator):
    """Subclasses hold the native model in ``self._native`` and name its class in
    ``_native_class``; ``_after_load`` sets the fitted attributes from a native model."""

    _native = None
    _native_class = None

    def __sklearn_is_fitted__(self) -> bool:
        return self._native is not None and self._native.is_fitted

    def _fitted_native(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
            )
        return self._native

    def save(self, path) -> None:
        """Writes the fitted model in recsys's versioned, checksummed format (a path or an
        open binary file). The settings and the model travel; ``feature_names_in_`` does not
        (pickle keeps everything)."""
        write_file(path, self._fitted_native().to_bytes())

    @classmethod
    def load(cls, path):
        return cls._from_bytes(read_file(path), params=None)

    @classmethod
    def _from_bytes(cls, data: bytes, params: dict | None):
        return cls._from_native(cls._native_class.from_bytes(data), params)

    @classmethod
    def _from_native(cls, native, params: dict | None):
        """An estimator of `params` around an already fitted native model."""
        self = cls(**(params or {}))
        self._native = native
        self._after_load()
        return self

    def _after_load(self) -> None:
        """Restores fitted attributes (``labels_``, ``n_features_in_``, ...) from the native model."""

    def __getstate__(self):
        # every attribute as it is (parameters and fitted attributes), the native model as bytes
        state = dict(self.__dict__)
        native = state.pop("_native", None)
        state["_native_bytes"] = native.to_bytes() if native is not None and native.is_fitted else None
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_native_bytes", None)
        self.__dict__.update(state)
        self._native = None if data is None else self._native_class.from_bytes(data)
