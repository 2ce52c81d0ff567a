"""Input conversion, done once per call and only when the input is not already in shape."""

from __future__ import annotations

import os
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp


class Csr(NamedTuple):
    """A CSR matrix as the native module takes it (int64 indptr, int32 indices, float32 data)."""

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def _parameter_warning_base() -> type[Warning]:
    try:
        from implicit.utils import ParameterWarning as implicit_warning
    except Exception:  # not installed, or a broken install: that must not break recsys
        return UserWarning
    return implicit_warning


class ParameterWarning(_parameter_warning_base()):
    """An input recsys accepts but converts at a cost (a training matrix that is not CSR).

    When implicit is installed this subclasses ``implicit.utils.ParameterWarning``, so warning
    filters and ``pytest.warns`` written for implicit catch it too.
    """


def as_csr(matrix, name: str = "user_items", warn_if_converted: bool = False) -> Csr:
    """Any scipy.sparse matrix or array (or a dense 2-D array) as canonical CSR arrays.

    CSR input in canonical form (sorted indices, no duplicates) with float32 data and int32
    indices is passed through without copying its big arrays. With `warn_if_converted`, input
    that is not CSR raises a ``ParameterWarning`` (as implicit's ``fit`` does).
    """
    if isinstance(matrix, Csr):
        return matrix
    if warn_if_converted and not (sp.issparse(matrix) and matrix.format == "csr"):
        warnings.warn(
            f"{name} is a {type(matrix).__name__}, converted to CSR: pass a scipy.sparse CSR matrix to avoid the copy",
            ParameterWarning,
            stacklevel=3,
        )
    if not sp.issparse(matrix):
        if isinstance(matrix, (np.ndarray, list)):
            dense = np.asarray(matrix)
            if dense.ndim != 2:
                raise ValueError(f"{name} must be 2-D, got {dense.ndim} dimension(s)")
            matrix = sp.csr_matrix(dense)
        else:
            raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(matrix).__name__}")
    m = matrix.tocsr()
    if not m.has_canonical_format:
        m = m.copy()
        m.sum_duplicates()
    if m.shape[1] > np.iinfo(np.int32).max:
        raise ValueError(f"{name} has {m.shape[1]} columns; at most 2**31 - 1 are supported")
    if not np.issubdtype(m.dtype, np.number) or np.issubdtype(m.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {m.dtype}")
    return Csr(
        (int(m.shape[0]), int(m.shape[1])),
        np.ascontiguousarray(m.indptr, dtype=np.int64),
        np.ascontiguousarray(m.indices, dtype=np.int32),
        np.ascontiguousarray(m.data, dtype=np.float32),
    )


def integer(name: str, value, minimum: int | None = 0) -> int:
    """A whole-number setting: TypeError for anything else (bools included), ValueError below
    `minimum`. Ranges beyond that are the core's to check."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def number(name: str, value) -> float:
    """A real-number setting: TypeError for anything else (bools included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def to_scipy(parts) -> sp.csr_matrix:
    shape, indptr, indices, data = parts
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def as_ids(values, name: str) -> tuple[np.ndarray, bool]:
    """An id or array of ids as a 1-D int64 array, and whether a single id was given."""
    if isinstance(values, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer or an array of integers, got a bool")
    if np.isscalar(values):
        if not isinstance(values, (int, np.integer)):
            raise TypeError(f"{name} must be an integer or an array of integers, got {type(values).__name__}")
        return np.array([values], dtype=np.int64), True
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got {array.ndim} dimension(s)")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64), False


def optional_ids(values, name: str):
    if values is None:
        return None
    return as_ids(values, name)[0]


def seed(random_state) -> int:
    """A 64-bit seed from None (fresh entropy), an int, or a numpy RandomState / Generator."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("random_state must be None, an int, or a numpy random generator")
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        return int(random_state) & 0xFFFF_FFFF_FFFF_FFFF
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise TypeError(f"random_state must be None, an int, or a numpy random generator, got {type(random_state).__name__}")


def write_file(path, data: bytes) -> None:
    """Writes through a temporary file and a rename, so a crash never leaves half a model; an
    open binary file object (anything with ``write``) is written to where it stands."""
    if hasattr(path, "write"):
        path.write(data)
        return
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_file(path) -> bytes:
    """The bytes of the file at `path`, or the rest of an open binary file object."""
    if hasattr(path, "read"):
        data = path.read()
        if not isinstance(data, bytes):
            raise TypeError(f"the file object must be opened in binary mode, read gave {type(data).__name__}")
        return data
    with open(os.fspath(path), "rb") as f:
        return f.read()
