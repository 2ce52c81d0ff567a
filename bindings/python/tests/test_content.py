"""TfidfVectorizer against scikit-learn 1.9 on the same documents."""

import pickle

import numpy as np
import pytest

import recsys
from recsys.content import TfidfVectorizer

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")

WORDS = "tea coffee green black milk sugar cup mug kettle leaf roast bean cocoa spice chai matcha oolong".split()


def documents(n=400, seed=0):
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        k = rng.integers(3, 15)
        words = rng.choice(WORDS + ["the", "and", "of", "a", "with"], size=k)
        docs.append(" ".join(w.upper() if rng.random() < 0.1 else w for w in words) + "!")
    return docs


@pytest.mark.parametrize(
    "options",
    [
        {},
        dict(stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        dict(max_df=0.5, min_df=0.01, norm="l1", smooth_idf=False),
        dict(max_features=10, use_idf=False, norm=None, lowercase=False),
        dict(stop_words=["tea", "coffee"], ngram_range=(2, 3)),
    ],
)
def test_same_matrix_as_scikit_learn(options):
    docs = documents()
    ours = TfidfVectorizer(**options)
    theirs = sklearn_text.TfidfVectorizer(**options)
    a = ours.fit_transform(docs)
    b = theirs.fit_transform(docs)
    assert ours.vocabulary_ == theirs.vocabulary_
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert a.dtype == b.dtype == np.float64
    assert a.shape == b.shape
    np.testing.assert_allclose(a.toarray(), b.toarray(), rtol=1e-6, atol=1e-7)
    if options.get("use_idf", True):
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=1e-12)
    new = ["green tea with milk", "unknown words only"]
    np.testing.assert_allclose(ours.transform(new).toarray(), theirs.transform(new).toarray(), rtol=1e-6, atol=1e-7)


def test_errors_and_unfitted_use():
    with pytest.raises(recsys.NotFittedError):
        TfidfVectorizer().transform(["tea"])
    with pytest.raises(ValueError, match="string object received"):
        TfidfVectorizer().fit("just one string")
    with pytest.raises(TypeError, match=r"raw_documents\[1\]"):
        TfidfVectorizer().fit(["tea", 3])
    with pytest.raises(ValueError, match="empty vocabulary"):
        TfidfVectorizer().fit(["a", "!"])
    # settings are checked by fit, as scikit-learn's contract has it (construction never fails)
    for bad, named in [
        ({"ngram_range": (2, 1)}, "ngram"), ({"min_df": 1.5}, "min_df"), ({"stop_words": "french"}, "stop_words"),
        ({"norm": "l3"}, "norm"), ({"token_pattern": r"\w+"}, "token_pattern"),
    ]:
        vectorizer = TfidfVectorizer(**bad)
        with pytest.raises(ValueError, match=named):
            vectorizer.fit(["green tea", "black tea"])


def test_pickle_save_load_and_params(tmp_path):
    docs = documents(50)
    v = TfidfVectorizer(ngram_range=(1, 2)).fit(docs)
    expected = v.transform(docs).toarray()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(v)).transform(docs).toarray(), expected)
    v.save(tmp_path / "tfidf.recsys")
    np.testing.assert_array_equal(TfidfVectorizer.load(tmp_path / "tfidf.recsys").transform(docs).toarray(), expected)
    assert v.get_params()["ngram_range"] == (1, 2)
    v.set_params(min_df=2)
    assert v.min_df == 2  # a new setting applies at the next fit
    with pytest.raises(ValueError, match="Invalid parameter"):
        v.set_params(min_dff=2)


def test_cosine_neighbours_match_scikit_learn():
    from sklearn.metrics.pairwise import cosine_similarity

    from recsys.content import cosine_neighbours

    X = TfidfVectorizer().fit_transform(documents(300, seed=5))
    ids, scores = cosine_neighbours(X, k=5)
    assert ids.shape == scores.shape == (300, 5)
    S = cosine_similarity(X)
    expected = -np.sort(-S, axis=1)[:, :5]
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(S, ids, axis=1), scores, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="k must be >= 0"):
        cosine_neighbours(X, k=-1)
    ids, scores = cosine_neighbours(X, k=0)  # as N = 0 everywhere: nothing asked, nothing given
    assert ids.shape == scores.shape == (300, 0)
