"""Every core error raises the exception the error table in docs/architecture.md gives it."""

import builtins
from pathlib import Path

import recsys
from recsys import _native
from recsys.als import AlternatingLeastSquares

TABLE = Path(__file__).resolve().parents[3] / "docs" / "architecture.md"


def error_table():
    """variant -> Python exception name, from the table's rows."""
    lines = TABLE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| core variant |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    column = header.index("Python")
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[column].split("`")[0].strip()
    return rows


def test_every_core_error_raises_the_exception_of_the_table():
    table = error_table()
    examples = _native._error_examples()
    assert sorted(table) == sorted(variant for variant, _ in examples)
    for variant, exception in examples:
        expected = getattr(builtins, table[variant], None) or getattr(recsys, table[variant])
        # OSError(errno, ...) is the errno's subclass (FileNotFoundError for 2)
        assert isinstance(exception, expected), (variant, exception)
        # what users catch: the message is the core's
        assert str(exception), variant
    assert issubclass(recsys.NotFittedError, Exception)


def test_the_cause_chain_is_kept():
    examples = dict(_native._error_examples())
    io = examples["Io"]
    assert isinstance(io, OSError) and io.errno == 2
    assert "/nonexistent/model.bin" in str(io)
    assert isinstance(io.__cause__, OSError) and io.__cause__.errno == 2
    # errors without a cause have none
    assert examples["InvalidParam"].__cause__ is None



def test_ctrl_c_stops_a_fit_with_keyboard_interrupt():
    import _thread
    import time

    import numpy as np
    import pytest
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    user_items = sp.random(200, 100, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    model = AlternatingLeastSquares(factors=4, iterations=200, random_state=0)
    seen = []

    def callback(iteration, seconds, loss):
        seen.append(iteration)
        if iteration == 1:
            _thread.interrupt_main()  # what Ctrl-C does: a SIGINT for the main thread
        time.sleep(0.01)

    with pytest.raises(KeyboardInterrupt):
        model.fit(user_items, show_progress=False, callback=callback)
    # stopped at a check soon after, not run to the end; the model stays unfitted
    assert len(seen) < 200, len(seen)
    with pytest.raises(recsys.NotFittedError):
        model.recommend(0, user_items[0])


def _interrupted_soon():
    """Interrupts the main thread as Ctrl-C does, shortly after the fit starts."""
    import _thread
    import threading

    timer = threading.Timer(0.05, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_stops_kmeans_and_gbdt_fits():
    import numpy as np
    import pytest

    from recsys.cluster import KMeans
    from recsys.gbdt import GBDTRegressor

    rng = np.random.default_rng(1)
    # each fit takes seconds: the interrupt lands in its middle
    X = rng.normal(size=(200_000, 8)).astype(np.float32)
    km = KMeans(n_clusters=20, n_init=100, max_iter=300, tol=0.0, random_state=0)
    timer = _interrupted_soon()
    with pytest.raises(KeyboardInterrupt):
        km.fit(X)
    timer.join()
    with pytest.raises(recsys.NotFittedError):
        km.predict(X[:2])

    y = X[:, 0] * 2 + X[:, 1]
    gbdt = GBDTRegressor(n_estimators=100_000, num_leaves=63)
    timer = _interrupted_soon()
    with pytest.raises(KeyboardInterrupt):
        gbdt.fit(X, y)
    timer.join()
    with pytest.raises(recsys.NotFittedError):
        gbdt.predict(X[:2])
