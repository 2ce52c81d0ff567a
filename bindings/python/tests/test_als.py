"""ALS against implicit 0.7.3 on the same data, and the behaviour implicit users rely on."""

import multiprocessing
import os
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import recsys
from recsys import evaluation
from recsys.als import AlternatingLeastSquares

from conftest import planted_clusters

implicit_als = pytest.importorskip("implicit.als")
implicit_eval = pytest.importorskip("implicit.evaluation")
threadpoolctl = pytest.importorskip("threadpoolctl")


def test_ndcg_matches_implicit_on_the_same_split():
    data = planted_clusters(n_users=2000, n_items=800, clusters=10, per_user=30, seed=1)
    train, test = implicit_eval.train_test_split(data, train_percentage=0.8, random_state=3)
    settings = dict(factors=32, regularization=0.05, alpha=2.0, iterations=15, random_state=11)
    # as implicit asks (it checks when built): its own threads, not OpenBLAS's as well
    with threadpoolctl.threadpool_limits(1, "blas"):
        theirs = implicit_als.AlternatingLeastSquares(**settings, use_gpu=False)
        theirs.fit(train, show_progress=False)
    ours = AlternatingLeastSquares(**settings).fit(train, show_progress=False)
    their_ndcg = implicit_eval.ndcg_at_k(theirs, train, test, K=10, show_progress=False)
    our_ndcg = evaluation.ndcg_at_k(ours, train, test, K=10)
    baseline = evaluation.ndcg_at_k(recsys.Popularity().fit(train), train, test, K=10)
    assert our_ndcg > 5 * baseline, ("the planted clusters must be learned", our_ndcg, baseline)
    assert abs(our_ndcg - their_ndcg) <= 0.01, (our_ndcg, their_ndcg)


def test_metrics_equal_implicits_for_the_same_factors():
    """Give implicit's model our factors: both evaluation codes must then agree exactly."""
    data = planted_clusters(n_users=500, n_items=200, seed=2)
    train, test = implicit_eval.train_test_split(data, train_percentage=0.75, random_state=5)
    ours = AlternatingLeastSquares(factors=16, iterations=5, random_state=1).fit(train, show_progress=False)
    theirs = implicit_als.AlternatingLeastSquares(factors=16, use_gpu=False)
    theirs.user_factors = ours.user_factors.copy()
    theirs.item_factors = ours.item_factors.copy()
    expected = implicit_eval.ranking_metrics_at_k(theirs, train, test, K=10, show_progress=False)
    got = evaluation.ranking_metrics_at_k(ours, train, test, K=10)
    for key in ("precision", "map", "ndcg", "auc"):
        assert got[key] == pytest.approx(expected[key], abs=1e-6), key
    assert 0 < got["coverage"] <= 1


def test_recommendations_match_implicits_for_the_same_factors(user_items):
    ours = AlternatingLeastSquares(factors=16, iterations=5, random_state=1).fit(user_items, show_progress=False)
    theirs = implicit_als.AlternatingLeastSquares(factors=16, use_gpu=False)
    theirs.user_factors = ours.user_factors.copy()
    theirs.item_factors = ours.item_factors.copy()
    users = np.arange(20)
    a_ids, a_scores = ours.recommend(users, user_items[users], N=10)
    b_ids, b_scores = theirs.recommend(users, user_items[users], N=10)
    np.testing.assert_allclose(a_scores, b_scores, rtol=1e-4, atol=1e-5)
    assert (a_ids == b_ids).mean() > 0.98  # equal up to ties in the last digits
    s_ids, _ = ours.similar_items(3, N=5)
    t_ids, _ = theirs.similar_items(3, N=5)
    np.testing.assert_array_equal(s_ids, t_ids)


def test_same_seed_same_model_and_factors_are_float32(user_items):
    a = AlternatingLeastSquares(factors=8, iterations=3, random_state=4).fit(user_items, show_progress=False)
    b = AlternatingLeastSquares(factors=8, iterations=3, random_state=4).fit(user_items, show_progress=False)
    np.testing.assert_array_equal(a.item_factors, b.item_factors)
    assert a.user_factors.dtype == np.float32 and a.user_factors.shape == (user_items.shape[0], 8)
    assert a.item_factors.shape == (user_items.shape[1], 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(factors=0), "factors"),
        (dict(regularization=-1.0), "regularization"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(iterations=-1), "iterations"),
        (dict(cg_steps=0), "steps"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AlternatingLeastSquares(**kwargs)


def test_wrong_parameter_types_raise_type_error():
    with pytest.raises(TypeError, match="factors"):
        AlternatingLeastSquares(factors="64")
    with pytest.raises(TypeError, match="random_state"):
        AlternatingLeastSquares(random_state="seed")
    with pytest.raises(TypeError):
        AlternatingLeastSquares(factor=64)  # a typo is not silently accepted


def test_unknown_ids_raise_index_error(user_items):
    model = AlternatingLeastSquares(factors=8, iterations=2, random_state=1).fit(user_items, show_progress=False)
    with pytest.raises(IndexError, match="unknown"):
        model.similar_items(user_items.shape[1] + 5)
    with pytest.raises(IndexError, match="unknown"):
        model.similar_users(user_items.shape[0] + 5)
    with pytest.raises(IndexError):
        model.recommend(user_items.shape[0] + 5, user_items[0])


def test_recalculate_user_folds_in_a_new_user(user_items):
    model = AlternatingLeastSquares(factors=16, iterations=8, random_state=3).fit(user_items, show_progress=False)
    newcomer = user_items.shape[0] + 100
    history = user_items[6]  # behaves like user 6, in cluster 0
    ids, _ = model.recommend(newcomer, history, N=10, recalculate_user=True)
    assert len(ids) == 10
    assert np.mean(ids % 6 == 0) >= 0.7, "a fold-in user gets their cluster's items"


def test_partial_fit_users_adds_users(user_items):
    model = AlternatingLeastSquares(factors=8, iterations=4, random_state=3).fit(user_items, show_progress=False)
    n = user_items.shape[0]
    model.partial_fit_users(np.array([0, n, n + 1]), user_items[[0, 0, 1]])
    assert model.user_factors.shape[0] == n + 2
    # the same row solved exactly gives the same factors, old id or new
    np.testing.assert_allclose(model.user_factors[n], model.user_factors[0], rtol=1e-5, atol=1e-5)
    ids, _ = model.recommend(n + 1, user_items[1], N=5)
    assert len(ids) == 5
    model.partial_fit_items(np.array([0]), user_items.T.tocsr()[[0]])
    assert model.item_factors.shape[0] == user_items.shape[1]


def test_callback_and_training_loss(user_items):
    seen = []
    model = AlternatingLeastSquares(factors=8, iterations=4, calculate_training_loss=True, random_state=1)
    model.fit(user_items, show_progress=False, callback=lambda it, secs, loss: seen.append((it, secs, loss)))
    assert [s[0] for s in seen] == [0, 1, 2, 3]
    assert all(np.isfinite(s[2]) for s in seen)
    assert seen[-1][2] <= seen[0][2]


def test_a_failing_callback_stops_fit_with_its_exception(user_items):
    def boom(*_):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        AlternatingLeastSquares(factors=8, iterations=3).fit(user_items, show_progress=False, callback=boom)


def test_plain_progress_without_tqdm(user_items, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    AlternatingLeastSquares(factors=8, iterations=2).fit(user_items, show_progress=True)
    assert "ALS: 2/2" in capsys.readouterr().err


def test_fit_releases_the_gil():
    data = planted_clusters(n_users=4000, n_items=1500, per_user=40, seed=9)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    AlternatingLeastSquares(factors=64, iterations=10, random_state=1).fit(data, show_progress=False)
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # a thread blocked by the GIL would not tick at all during the fit
    assert len(during) >= 5, (len(during), end - start)


def _fit_in_child(queue):
    data = planted_clusters(n_users=300, n_items=300, seed=4)
    model = AlternatingLeastSquares(factors=8, iterations=3, random_state=1).fit(data, show_progress=False)
    ids, _ = model.recommend(np.arange(5), data[:5], N=3)
    queue.put(ids.shape)


def test_fit_after_fork_does_not_deadlock(user_items):
    # use the thread pool in the parent first, so the child inherits a started one
    AlternatingLeastSquares(factors=8, iterations=2).fit(user_items, show_progress=False)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child deadlocked")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == (5, 3)


def test_thread_count_from_the_environment(user_items):
    code = (
        "import numpy as np, scipy.sparse as sp; from recsys.als import AlternatingLeastSquares as A;"
        "m = sp.random(50, 40, density=0.2, format='csr', random_state=1, dtype=np.float32);"
        "A(factors=4, iterations=1).fit(m, show_progress=False)"
    )
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-c", code], env={**os.environ, "RECSYS_NUM_THREADS": "1"}, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-c", code], env={**os.environ, "RECSYS_NUM_THREADS": "many"}, capture_output=True, text=True)
    assert bad.returncode != 0 and "RECSYS_NUM_THREADS" in bad.stderr


def test_inputs_in_other_formats_give_the_same_model(user_items):
    a = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(user_items, show_progress=False)
    for other in (user_items.tocoo(), user_items.tocsc(), user_items.astype(np.float64), sp.csr_array(user_items)):
        converted = other.format != "csr"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(other, show_progress=False)
        # as implicit, a matrix that must be converted gets a ParameterWarning; CSR none
        assert [w.category for w in caught] == ([recsys.ParameterWarning] if converted else [])
        np.testing.assert_array_equal(a.item_factors, b.item_factors)
    # duplicates are summed, unsorted indices are fine
    coo = user_items.tocoo()
    doubled = sp.coo_matrix(
        (np.concatenate([coo.data, coo.data]) / 2, (np.concatenate([coo.row, coo.row]), np.concatenate([coo.col, coo.col]))),
        shape=coo.shape,
    )
    with pytest.warns(recsys.ParameterWarning):
        c = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(doubled, show_progress=False)
    np.testing.assert_allclose(a.item_factors, c.item_factors, rtol=1e-5, atol=1e-6)


def test_implicit_evaluation_scores_a_recsys_model_as_recsys_evaluation_does(user_items):
    # implicit's Cython metrics need int32 ids from recommend, the dtype implicit returns
    train, test = evaluation.train_test_split(user_items, 0.8, random_state=1)
    model = AlternatingLeastSquares(factors=8, iterations=5, random_state=3).fit(train, show_progress=False)
    ids, _ = model.recommend(np.arange(5), train[np.arange(5)])
    assert ids.dtype == np.int32
    ours = evaluation.ranking_metrics_at_k(model, train, test, K=10)
    theirs = implicit_eval.ranking_metrics_at_k(model, train, test, K=10, show_progress=False)
    for name in ("precision", "map", "ndcg", "auc"):
        assert ours[name] == pytest.approx(theirs[name], rel=1e-6), name


def test_implicit_only_settings_are_accepted_and_checked(user_items):
    with pytest.raises(ValueError, match="use_gpu"):
        AlternatingLeastSquares(use_gpu=True)
    with pytest.raises(ValueError, match="dtype"):
        AlternatingLeastSquares(dtype=np.float16)
    a = AlternatingLeastSquares(factors=4, iterations=2, random_state=1, dtype=np.float64, use_native=False)
    a.fit(user_items, show_progress=False)
    assert a.item_factors.dtype == np.float64 and a.user_factors.dtype == np.float64
    b = AlternatingLeastSquares(factors=4, iterations=2, random_state=1).fit(user_items, show_progress=False)
    np.testing.assert_array_equal(a.item_factors, b.item_factors.astype(np.float64))
    import pickle

    assert pickle.loads(pickle.dumps(a)).item_factors.dtype == np.float64


def test_ranking_given_items_returns_all_of_them_liked_last_and_refuses_unknown_ids(user_items):
    model = AlternatingLeastSquares(factors=8, iterations=3, random_state=1).fit(user_items, show_progress=False)
    liked = user_items[0].indices[:2]
    unliked = np.setdiff1d(np.arange(user_items.shape[1]), user_items[0].indices)[:3]
    ids, scores = model.recommend(0, user_items[0], items=np.concatenate([liked, unliked]), N=10)
    assert set(ids[:3]) == set(unliked) and set(ids[3:]) == set(liked)
    assert np.isneginf(scores[3:]).all() and np.isfinite(scores[:3]).all()
    with pytest.raises(IndexError, match="does not know"):
        model.recommend(0, user_items[0], items=[0, user_items.shape[1] + 5])


def test_explain_shares_sum_to_the_recalculated_score(user_items):
    model = AlternatingLeastSquares(factors=6, iterations=5, use_cg=False, random_state=2).fit(user_items, show_progress=False)
    ids, scores = model.recommend(3, user_items[3], N=1, recalculate_user=True)
    total, contributions, weights = model.explain(3, user_items, ids[0], N=10_000)
    assert total == pytest.approx(scores[0], abs=1e-4)
    assert sorted(i for i, _ in contributions) == sorted(user_items[3].indices)
    assert sum(s for _, s in contributions) == pytest.approx(total, abs=1e-4)
    assert [s for _, s in contributions] == sorted((s for _, s in contributions), reverse=True)
    again, top2, _ = model.explain(3, user_items[3], ids[0], user_weights=weights, N=2)
    assert again == total and top2 == contributions[:2]
    with pytest.raises(ValueError, match="user_weights"):
        model.explain(4, user_items, ids[0], user_weights=weights)


def test_save_and_load_through_open_files_fitted_or_not(tmp_path, user_items):
    for model in (AlternatingLeastSquares(factors=4, random_state=5), AlternatingLeastSquares(factors=4, iterations=2, random_state=5).fit(user_items, show_progress=False)):
        with open(tmp_path / "m.bin", "w+b") as f:
            model.save(f)
            f.seek(0)
            back = AlternatingLeastSquares.load(f)
        assert back.__dict__ == model.__dict__


def test_ids_beyond_int32_are_not_narrowed():
    from recsys._base import _unflatten

    ids, _ = _unflatten(np.array([2**40, 1], dtype=np.int64), np.zeros(2, np.float32), np.array([0, 2]), True)
    assert ids.dtype == np.int64 and ids[0] == 2**40
    small, _ = _unflatten(np.array([3, 1], dtype=np.int64), np.zeros(2, np.float32), np.array([0, 2]), True)
    assert small.dtype == np.int32
