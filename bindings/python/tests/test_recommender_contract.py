"""One contract every recsys recommender runs: recommend single and batch, filters, candidate
lists, save/load, pickling, and the errors of unfitted use and bad input."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

import recsys
from recsys.als import AlternatingLeastSquares


class RecommenderContract:
    """Subclasses define `make()` returning an unfitted model."""

    def make(self):
        raise NotImplementedError

    @pytest.fixture()
    def fitted(self, user_items):
        return self.make().fit(user_items, show_progress=False)

    def test_recommend_one_user_returns_1d_ranked_unseen_items(self, fitted, user_items):
        ids, scores = fitted.recommend(3, user_items[3], N=10)
        assert ids.shape == scores.shape == (10,)
        assert ids.dtype.kind == "i" and scores.dtype == np.float32
        assert np.all(np.diff(scores) <= 1e-6), "best first"
        assert not set(ids) & set(user_items[3].indices), "seen items are filtered by default"
        assert len(set(ids)) == 10

    def test_batch_agrees_with_single_calls(self, fitted, user_items):
        users = np.array([5, 0, 17, 42])
        ids, scores = fitted.recommend(users, user_items[users], N=7)
        assert ids.shape == scores.shape == (4, 7)
        for row, u in enumerate(users):
            one_ids, one_scores = fitted.recommend(u, user_items[u], N=7)
            np.testing.assert_array_equal(ids[row], one_ids)
            np.testing.assert_allclose(scores[row], one_scores, rtol=1e-4, atol=1e-5)

    def test_a_user_twice_in_a_batch_gets_the_same_list(self, fitted, user_items):
        users = np.array([8, 9, 8])
        ids, _ = fitted.recommend(users, user_items[users], N=5)
        np.testing.assert_array_equal(ids[0], ids[2])

    def test_seen_items_come_back_without_the_filter(self, fitted, user_items):
        n_items = user_items.shape[1]
        ids, _ = fitted.recommend(1, user_items[1], N=n_items, filter_already_liked_items=False)
        assert len(ids) == n_items
        assert set(user_items[1].indices) <= set(ids)

    def test_filter_items_and_candidate_items(self, fitted, user_items):
        ids, _ = fitted.recommend(2, user_items[2], N=10)
        banned = ids[:3]
        again, _ = fitted.recommend(2, user_items[2], N=10, filter_items=banned)
        assert not set(banned) & set(again)
        candidates = np.arange(40, 60)
        chosen, _ = fitted.recommend(2, user_items[2], N=5, items=candidates)
        assert set(chosen) <= set(candidates) and len(chosen) == 5

    def test_similar_items_for_one_and_many(self, fitted):
        ids, scores = fitted.similar_items(4, N=5)
        assert ids.shape == (5,) and np.all(np.diff(scores) <= 1e-6)
        batch, _ = fitted.similar_items(np.array([4, 5]), N=5)
        np.testing.assert_array_equal(batch[0], ids)

    def test_n_zero_is_an_empty_list(self, fitted, user_items):
        # one policy in every language: N = 0 asks for nothing (the core and Node agree)
        ids, scores = fitted.recommend(3, user_items[3], N=0)
        assert ids.shape == scores.shape == (0,)
        users = np.array([5, 0])
        ids, scores = fitted.recommend(users, user_items[users], N=0)
        assert ids.shape == scores.shape == (2, 0)
        ids, scores = fitted.similar_items(4, N=0)
        assert ids.shape == scores.shape == (0,)

    def test_save_and_load_give_identical_answers(self, fitted, user_items, tmp_path):
        path = tmp_path / "model.recsys"
        fitted.save(path)
        loaded = type(fitted).load(path)
        users = np.arange(10)
        a = fitted.recommend(users, user_items[users], N=10)
        b = loaded.recommend(users, user_items[users], N=10)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert repr(loaded).startswith(type(fitted).__name__)

    def test_pickling_round_trip(self, fitted, user_items):
        copy = pickle.loads(pickle.dumps(fitted))
        a = fitted.recommend(7, user_items[7], N=10)
        b = copy.recommend(7, user_items[7], N=10)
        np.testing.assert_array_equal(a[0], b[0])

    def test_corrupt_files_raise_value_error(self, fitted, tmp_path):
        path = tmp_path / "model.recsys"
        fitted.save(path)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(ValueError):
            type(fitted).load(path)
        with pytest.raises(OSError):
            type(fitted).load(tmp_path / "missing.recsys")

    def test_unfitted_model_raises_not_fitted(self, user_items):
        model = self.make()
        with pytest.raises(recsys.NotFittedError):
            model.recommend(0, user_items[0])
        with pytest.raises(recsys.NotFittedError):
            model.similar_items(0)
        assert issubclass(recsys.NotFittedError, ValueError)

    def test_bad_requests_name_the_problem(self, fitted, user_items):
        with pytest.raises(ValueError, match="1 row for every user"):
            fitted.recommend(np.array([1, 2]), user_items[1])
        with pytest.raises(TypeError, match="userid"):
            fitted.recommend(1.5, user_items[1])
        with pytest.raises(TypeError, match="userid"):
            fitted.recommend("ann", user_items[1])
        with pytest.raises(ValueError, match="N must be >= 0"):
            fitted.recommend(1, user_items[1], N=-1)
        with pytest.raises(TypeError, match="scipy.sparse"):
            fitted.recommend(1, {"not": "a matrix"})
        bad = user_items[1].copy()
        bad.data[:] = np.nan
        with pytest.raises(ValueError, match="not a finite number"):
            fitted.recommend(1, bad)

    def test_fit_rejects_bad_matrices(self):
        with pytest.raises(ValueError, match="negative"):
            self.make().fit(sp.csr_matrix(np.array([[1.0, -2.0], [0.0, 1.0]])), show_progress=False)
        with pytest.raises(ValueError, match="no entries"):
            self.make().fit(sp.csr_matrix((3, 3), dtype=np.float32), show_progress=False)


class TestAlternatingLeastSquares(RecommenderContract):
    def make(self):
        return AlternatingLeastSquares(factors=16, regularization=0.05, iterations=8, random_state=7)


class TestPopularity(RecommenderContract):
    def make(self):
        return recsys.Popularity()


CLUSTER_WORDS = [
    "green tea leaf matcha sencha",
    "espresso coffee roast bean crema",
    "dark chocolate cocoa praline truffle",
    "ceramic mug cup saucer teapot",
    "kettle grinder scale filter dripper",
    "biscuit cookie shortbread wafer scone",
]


def catalog(n_items, seed=0):
    """Item i is described by the words of its cluster (i % 6), as planted_clusters groups them."""
    rng = np.random.default_rng(seed)
    items = {}
    for i in range(n_items):
        words = CLUSTER_WORDS[i % 6].split()
        title = " ".join(rng.choice(words, 3))
        items[i] = {"title": f"{title} no{i}", "description": " ".join(rng.choice(words, 6))}
    return items


class TestContentRecommender(RecommenderContract):
    def make(self):
        from recsys.content import ContentRecommender

        return ContentRecommender(field_weights={"title": 2.0}, stop_words="english")

    @pytest.fixture()
    def fitted(self, user_items):
        return self.make().fit(catalog(user_items.shape[1]))

    def test_fit_rejects_bad_matrices(self):
        model = self.make()
        with pytest.raises(TypeError, match="ids must be integers"):
            model.fit({"a": "green tea"})
        with pytest.raises(TypeError, match="must map ids"):
            model.fit({1: "green tea", 2: {"title": "mug"}})
        with pytest.raises(ValueError, match="field_weights must be names of catalog fields"):
            model.fit({1: "green tea"})  # one field, called "text", but "title" is weighted
        from recsys.content import ContentRecommender

        with pytest.raises(ValueError, match="no field"):
            ContentRecommender(stop_words="english").fit({1: "the", 2: "a"})

    def test_search_and_cluster_neighbours(self, fitted):
        ids, scores = fitted.search("Matcha TEA", N=5)
        assert len(ids) == 5 and np.all(ids % 6 == 0) and np.all(np.diff(scores) <= 1e-6)
        assert len(fitted.search("nothing matches this", N=5)[0]) == 0
        similar, _ = fitted.similar_items(7, N=6)
        assert np.mean(similar % 6 == 1) >= 0.8
        assert fitted.fields == ["title", "description"]


class TestHybrid(RecommenderContract):
    def make(self):
        from recsys.hybrid import Hybrid

        als = AlternatingLeastSquares(factors=16, regularization=0.05, iterations=8, random_state=7)
        return Hybrid([(als, 0.8), (recsys.Popularity(), 0.2)])

    def test_unfitted_model_raises_not_fitted(self, user_items):
        with pytest.raises(recsys.NotFittedError):
            self.make().recommend(0, user_items[0])

    def test_a_brand_new_user_gets_a_full_list(self, fitted, user_items):
        newcomer = user_items.shape[0] + 10
        ids, _ = fitted.recommend(newcomer, sp.csr_matrix((1, user_items.shape[1])), N=10)
        assert len(ids) == 10

    def test_members_are_checked(self):
        from recsys.hybrid import Hybrid
        from recsys.content import ContentRecommender

        with pytest.raises(ValueError, match="non-empty"):
            Hybrid([])
        with pytest.raises(TypeError, match="recsys recommender"):
            Hybrid([(object(), 1.0)])
        with pytest.raises(ValueError, match="fitted on its catalog"):
            Hybrid([(ContentRecommender(), 1.0)])
        with pytest.raises(ValueError, match="weight"):
            Hybrid([(recsys.Popularity(), -1.0)])


def test_factory_builds_every_kind_from_settings(user_items):
    from recsys.content import ContentRecommender
    from recsys.hybrid import Hybrid, from_config

    als = from_config({"kind": "als", "factors": 8, "iterations": 3})
    assert isinstance(als, AlternatingLeastSquares) and als.factors == 8
    als.fit(user_items, show_progress=False)
    assert als.item_factors.shape == (user_items.shape[1], 8)
    assert isinstance(from_config('{"kind": "popular"}'), recsys.Popularity)
    blend = from_config(
        {"kind": "hybrid", "members": [{"weight": 0.6, "model": {"kind": "als", "factors": 8}}, {"weight": 0.4, "model": {"kind": "content"}}]},
        items=catalog(user_items.shape[1]),
    )
    assert isinstance(blend, Hybrid)
    blend.fit(user_items)
    ids, _ = blend.recommend(3, user_items[3], N=5)
    assert len(ids) == 5
    with pytest.raises(ValueError, match="unknown field"):
        from_config({"kind": "als", "factor": 8})
    # the core's strict reading, with the message the server and Node give for the same config
    bad = {"kind": "hybrid", "members": [{"weight": 1.0, "model": {"kind": "als", "factorz": 8}}]}
    with pytest.raises(ValueError) as refused:
        from_config(bad)
    assert str(refused.value).startswith(
        "invalid config at config.members[0].model.factorz: unknown field `factorz`, expected one of `factors`"
    ), refused.value
    with pytest.raises(ValueError, match=r"invalid config at config\.extra: unknown field `extra`"):
        from_config({"kind": "popular", "extra": 1})
    with pytest.raises(ValueError, match="catalog"):
        from_config({"kind": "content"})
    assert isinstance(from_config({"kind": "content"}, items={1: "green tea", 2: "black coffee"}), ContentRecommender)
