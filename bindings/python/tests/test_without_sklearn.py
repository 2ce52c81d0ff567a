"""scikit-learn is optional: without it the estimators keep their methods, parameters, checks
and messages (the stand-ins in recsys/_sklearn.py). Run in a fresh interpreter where importing
scikit-learn fails."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    r'''
    import sys
    sys.modules["sklearn"] = None  # any "import sklearn..." now raises ImportError
    import pickle
    import numpy as np
    import recsys
    from recsys._sklearn import SKLEARN_INSTALLED
    from recsys.cluster import KMeans
    from recsys.content import TfidfVectorizer
    from recsys.gbdt import GBDTClassifier, GBDTRanker, GBDTRegressor

    assert not SKLEARN_INSTALLED
    assert issubclass(recsys.NotFittedError, ValueError) and issubclass(recsys.NotFittedError, AttributeError)

    def raises(exc, match, f, *args, **kwargs):
        try:
            f(*args, **kwargs)
        except exc as e:
            assert match in str(e), f"{match!r} not in {e!r}"
            return
        raise AssertionError(f"{f} did not raise {exc.__name__}")

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = 2 * X[:, 0] + X[:, 1] ** 2

    reg = GBDTRegressor(n_estimators=30, min_child_samples=5, random_state=0)
    assert reg.get_params()["n_estimators"] == 30 and "GBDTRegressor(" in repr(reg)
    raises(recsys.NotFittedError, "not fitted", reg.predict, X)
    reg.fit(X, y)
    assert reg.n_features_in_ == 4 and reg.score(X, y) > 0.9
    raises(ValueError, "X has 3 features, but GBDTRegressor is expecting 4 features as input", reg.predict, X[:, :3])
    raises(ValueError, "Expected 2D array, got 1D array", reg.fit, X[:, 0], y)
    raises(ValueError, "0 feature(s)", reg.fit, X[:, :0], y)
    raises(ValueError, "inconsistent numbers of samples", reg.fit, X, y[:-1])
    bad = X.copy(); bad[3, 2] = np.inf
    raises(ValueError, "infinity", reg.fit, bad, y)
    raises(ValueError, "Invalid parameter", reg.set_params, n_estimator=3)
    raises(ValueError, "num_leaves", GBDTRegressor(num_leaves=1).fit, X, y)
    copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))

    labels = np.where(y > np.median(y), "b", "a")
    clf = GBDTClassifier(n_estimators=30, min_child_samples=5, random_state=0).fit(X, labels)
    assert clf.score(X, labels) > 0.9 and set(clf.predict(X)) == {"a", "b"}
    raises(ValueError, "Only binary classification is supported", clf.fit, X, np.arange(300) % 3)

    qid = np.arange(300) // 10
    ranker = GBDTRanker(n_estimators=20, min_child_samples=5, random_state=0).fit(X, np.clip(np.round(X[:, 0] + 1), 0, 3), qid=qid)
    assert 0.5 < ranker.score(X, np.clip(np.round(X[:, 0] + 1), 0, 3), qid=qid) <= 1.0

    km = KMeans(3, random_state=0).fit(X, sample_weight=np.ones(300))
    assert km.transform(X).shape == (300, 3) and abs(km.score(X) + km.inertia_) < 1e-6 * km.inertia_
    assert len(km.fit_predict(X)) == 300
    raises(ValueError, "Negative values", km.fit, X, sample_weight=-np.ones(300))

    tfidf = TfidfVectorizer()
    assert tfidf.fit_transform(["green tea", "black tea"]).shape == (2, 3)
    print("ok")
    '''
)


def test_estimators_work_without_scikit_learn():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
