"""What the scikit-learn-style estimators share: get_params / set_params, save / load, pickling."""

from __future__ import annotations

import inspect

from ._convert import read_file, write_file


class Estimator:
    """Subclasses keep their constructor arguments as attributes of the same names, hold the
    native model in ``self._native`` and name its class in ``_native_class``."""

    _native = None
    _native_class = None

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = set(self._param_names())
        for key in params:
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid are {sorted(valid)}")
        state = {**self.get_params(), **params}
        type(self).__init__(self, **state)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != inspect.signature(type(self).__init__).parameters[k].default}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def _fitted_native(self):
        from ._native import NotFittedError

        if self._native is None or not self._native.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._native

    def save(self, path) -> None:
        """Writes the fitted model in recsys's versioned, checksummed format."""
        write_file(path, self._fitted_native().to_bytes())

    @classmethod
    def load(cls, path):
        data = read_file(path)
        return cls._from_bytes(data, params=None)

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
        """Restores fitted attributes (``labels_``, ...) from the native model."""

    def __getstate__(self):
        fitted = self._native is not None and self._native.is_fitted
        return {"params": self.get_params(), "model": self._native.to_bytes() if fitted else None, "extra": self._extra_state()}

    def __setstate__(self, state):
        type(self).__init__(self, **state["params"])
        if state["model"] is not None:
            self._native = self._native_class.from_bytes(state["model"])
            self._restore_extra(state.get("extra") or {})
            self._after_load()

    def _extra_state(self) -> dict:
        return {}

    def _restore_extra(self, extra: dict) -> None:
        pass
