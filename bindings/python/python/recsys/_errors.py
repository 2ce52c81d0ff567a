"""The exceptions recsys defines. The native module raises these same classes."""

from __future__ import annotations

try:  # scikit-learn is optional: when it is there, its own handlers catch ours
    from sklearn.exceptions import NotFittedError as _NotFittedBase

    _bases: tuple[type, ...] = (_NotFittedBase,)
except ImportError:  # the same bases as scikit-learn's
    _bases = (ValueError, AttributeError)


class NotFittedError(*_bases):
    """The model is used before ``fit``. A ``ValueError`` and an ``AttributeError`` as
    scikit-learn's ``NotFittedError`` is, and a subclass of it when scikit-learn is installed,
    so ``sklearn.utils.validation.check_is_fitted`` users and ``except NotFittedError`` written
    for scikit-learn catch it."""
