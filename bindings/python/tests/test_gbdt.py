"""Gradient-boosted trees against LightGBM 4.7 on the same generated data."""

import pickle

import numpy as np
import pytest

import recsys
from recsys.gbdt import GBDTClassifier, GBDTRanker, GBDTRegressor

lightgbm = pytest.importorskip("lightgbm")
metrics = pytest.importorskip("sklearn.metrics")


def ranking_data(n_queries=300, per_query=20, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * per_query, d)).astype(np.float32)
    score = X[:, 0] + 0.6 * X[:, 1] - 0.4 * X[:, 2] + 0.3 * X[:, 3] * X[:, 4] + 0.5 * rng.normal(size=len(X))
    y = np.zeros(len(X), dtype=np.int32)
    for q in range(n_queries):
        s = slice(q * per_query, (q + 1) * per_query)
        y[s] = np.digitize(score[s], np.quantile(score[s], [0.5, 0.75, 0.9, 0.97]))
    return X, y, np.full(n_queries, per_query)


def mean_ndcg(y, scores, groups, k=10):
    out, start = [], 0
    for g in groups:
        s = slice(start, start + g)
        out.append(metrics.ndcg_score([y[s]], [scores[s]], k=k))
        start += g
    return float(np.mean(out))


def test_lambdarank_ndcg_within_0_01_of_lightgbm():
    X, y, g = ranking_data()
    Xt, yt, gt = ranking_data(seed=1)
    ours = GBDTRanker(n_estimators=60, random_state=0).fit(X, y, group=g)
    theirs = lightgbm.LGBMRanker(n_estimators=60, verbose=-1, random_state=0).fit(X, y, group=g)
    a = mean_ndcg(yt, ours.predict(Xt), gt)
    b = mean_ndcg(yt, theirs.predict(Xt), gt)
    assert a > 0.7, a
    assert abs(a - b) <= 0.01, (a, b)


def test_binary_auc_and_regression_rmse_match_lightgbm():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20000, 10)).astype(np.float32)
    logit = X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3]
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    train, test = slice(0, 15000), slice(15000, None)
    ours = GBDTClassifier(random_state=0).fit(X[train], y[train])
    theirs = lightgbm.LGBMClassifier(verbose=-1, random_state=0).fit(X[train], y[train])
    auc_ours = metrics.roc_auc_score(y[test], ours.predict_proba(X[test])[:, 1])
    auc_theirs = metrics.roc_auc_score(y[test], theirs.predict_proba(X[test])[:, 1])
    assert abs(auc_ours - auc_theirs) <= 0.005, (auc_ours, auc_theirs)
    assert set(ours.predict(X[test])) <= {0, 1}

    target = X[:, 0] * 2 + np.sin(X[:, 1] * 2) + 0.1 * rng.normal(size=len(X))
    r_ours = GBDTRegressor(random_state=0).fit(X[train], target[train])
    r_theirs = lightgbm.LGBMRegressor(verbose=-1, random_state=0).fit(X[train], target[train])
    rmse = lambda p: float(np.sqrt(np.mean((p - target[test]) ** 2)))  # noqa: E731
    assert rmse(r_ours.predict(X[test])) <= 1.01 * rmse(r_theirs.predict(X[test])) + 1e-3


def test_string_classes_and_probabilities():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 3))
    y = np.where(X[:, 0] > 0, "buy", "skip")
    clf = GBDTClassifier(n_estimators=30).fit(X, y)
    assert list(clf.classes_) == ["buy", "skip"]
    proba = clf.predict_proba(X[:50])
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert (clf.predict(X[:200]) == y[:200]).mean() > 0.9
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        GBDTClassifier().fit(X, np.arange(len(X)) % 3)


def test_early_stopping_keeps_the_best_round():
    X, y, g = ranking_data(n_queries=120)
    Xv, yv, gv = ranking_data(n_queries=60, seed=2)
    m = GBDTRanker(n_estimators=300, learning_rate=0.3, random_state=0).fit(
        X, y, group=g, eval_set=[(Xv, yv)], eval_group=[gv], eval_at=(10,), early_stopping_rounds=5
    )
    assert 0 < m.best_iteration_ < 300
    assert m.n_estimators_ == m.best_iteration_
    assert "ndcg@10" in m.evals_result_


def test_missing_values_and_importances():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 4))
    y = X[:, 0] * 3
    X[rng.random(len(X)) < 0.2, 2] = np.nan
    m = GBDTRegressor(n_estimators=40).fit(X, y)
    assert np.isfinite(m.predict(X)).all()
    imp = m.feature_importances_
    assert imp.shape == (4,) and imp.argmax() == 0
    assert GBDTRegressor(importance_type="gain", n_estimators=5).fit(X, y).feature_importances_[0] > 0


def test_bad_input_is_named():
    X, y, g = ranking_data(n_queries=10)
    with pytest.raises(ValueError, match="group"):
        GBDTRanker().fit(X, y)
    with pytest.raises(ValueError, match="sum to"):
        GBDTRanker().fit(X, y, group=g[:-1])
    # settings are checked by fit, as scikit-learn's contract has it (construction never fails)
    with pytest.raises(ValueError, match="num_leaves"):
        GBDTRegressor(num_leaves=1).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        GBDTRegressor(learning_rate=0.0).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GBDTRegressor().fit(X, y[:-1])
    with pytest.raises(recsys.NotFittedError):
        GBDTRegressor().predict(X)
    with pytest.raises(ValueError, match="features"):
        GBDTRegressor(n_estimators=3).fit(X, y).predict(X[:, :3])
    with pytest.raises(ValueError, match="early_stopping_rounds needs an eval_set"):
        GBDTRegressor().fit(X, y, early_stopping_rounds=3)
    with pytest.raises(TypeError, match="n_estimators"):
        GBDTRegressor(n_estimators=1.5).fit(X, y)


def test_persistence_gives_identical_predictions(tmp_path):
    X, y, g = ranking_data(n_queries=50)
    m = GBDTRanker(n_estimators=20, random_state=0).fit(X, y, group=g)
    expected = m.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(m)).predict(X), expected)
    m.save(tmp_path / "ranker.recsys")
    np.testing.assert_array_equal(GBDTRanker.load(tmp_path / "ranker.recsys").predict(X), expected)
    same = GBDTRanker(n_estimators=20, random_state=0).fit(X, y, group=g)
    np.testing.assert_array_equal(same.predict(X), expected)


@pytest.mark.parametrize("objective", ["lambdarank-20", "lambdarank-50", "binary", "regression"])
def test_the_same_trees_as_lightgbm(objective):
    """With the same settings the models agree to the last bits: the binning, the hessian-
    estimated row counts per bin, the features a leaf passes on to its children, and the
    lambdarank sigmoid table all follow LightGBM's."""
    rng = np.random.default_rng(3)
    if objective.startswith("lambdarank"):
        X, y, g = ranking_data()
        md = int(objective.split("-")[1])
        ours = GBDTRanker(n_estimators=30, min_child_samples=md).fit(X, y, group=g).predict(X)
        theirs = lightgbm.LGBMRanker(n_estimators=30, min_child_samples=md, verbose=-1).fit(X, y, group=g).predict(X)
    else:
        X = rng.normal(size=(20000, 10)).astype(np.float32)
        if objective == "binary":
            y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
            ours = GBDTClassifier(n_estimators=30).fit(X, y).predict_proba(X)[:, 1]
            theirs = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y).predict_proba(X)[:, 1]
        else:
            y = X[:, 0] * 2 + np.sin(X[:, 1]) + rng.normal(size=len(X))
            ours = GBDTRegressor(n_estimators=30).fit(X, y).predict(X)
            theirs = lightgbm.LGBMRegressor(n_estimators=30, verbose=-1).fit(X, y).predict(X)
    assert np.abs(ours - theirs).max() < 1e-9


def lightgbm_model_data(seed=5):
    """Features with NaN in one column and exact zeros in another, so every missing-value
    handling of LightGBM appears in the trees."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6000, 8)).astype(np.float32)
    X[rng.random(len(X)) < 0.2, 2] = np.nan
    X[rng.random(len(X)) < 0.3, 3] = 0.0
    signal = X[:, 0] + np.nan_to_num(X[:, 2], nan=1.5) - 0.8 * (X[:, 3] == 0) + 0.5 * X[:, 1] * X[:, 4]
    return X, signal + 0.5 * rng.normal(size=len(X))


@pytest.mark.parametrize("objective", ["regression", "binary", "lambdarank", "zero_as_missing", "categorical"])
def test_lightgbm_models_predict_as_in_lightgbm(objective, tmp_path):
    """A model LightGBM trained, read from its text format, gives LightGBM's raw scores (and
    probabilities) on rows with NaN, zeros, values beyond the training range and values
    exactly on thresholds; with categorical features also on unseen, negative and fractional
    categories."""
    X, target = lightgbm_model_data()
    kwargs = dict(n_estimators=40, num_leaves=15, verbose=-1)
    if objective == "categorical":
        # two categorical columns, one with 40 categories (more than a 32-bit word)
        rng = np.random.default_rng(2)
        X[:, 5] = rng.integers(0, 6, len(X))
        X[:, 6] = rng.integers(0, 40, len(X))
        X[rng.random(len(X)) < 0.05, 6] = np.nan
        effect = np.sin(np.arange(40) * 1.7)
        target = target + (X[:, 5] % 3 == 1) * 1.5 + np.nan_to_num(effect[np.nan_to_num(X[:, 6]).astype(int)])
        theirs = lightgbm.LGBMRegressor(**kwargs, cat_smooth=1, min_data_per_group=5).fit(X, target, categorical_feature=[5, 6])
    elif objective == "lambdarank":
        y = np.digitize(target, np.quantile(target, [0.5, 0.8, 0.95]))
        theirs = lightgbm.LGBMRanker(**kwargs).fit(X, y, group=np.full(60, 100))
    elif objective == "binary":
        theirs = lightgbm.LGBMClassifier(**kwargs).fit(X, (target > 0.3).astype(int))
    else:
        extra = {"zero_as_missing": True} if objective == "zero_as_missing" else {}
        theirs = lightgbm.LGBMRegressor(**kwargs, **extra).fit(X, target)
    booster = theirs.booster_
    ours = recsys.gbdt.from_lightgbm(booster=booster)
    expected_class = {"binary": GBDTClassifier, "lambdarank": GBDTRanker}.get(objective, GBDTRegressor)
    assert type(ours) is expected_class and ours.n_estimators_ == booster.num_trees()
    rng = np.random.default_rng(9)
    Xt = rng.normal(scale=2.0, size=(3000, 8)).astype(np.float32)
    Xt[rng.random(len(Xt)) < 0.1] = np.nan
    Xt[rng.random(len(Xt)) < 0.1] = 0.0
    if objective == "categorical":
        assert any(line.startswith("num_cat=") and line != "num_cat=0" for line in booster.model_to_string().splitlines())
        Xt[:, 5] = rng.choice([-1.0, -0.5, 0.0, 1.0, 1.9, 2.0, 4.0, 7.0, 1e10, np.nan], len(Xt))
        Xt[:, 6] = rng.choice(np.r_[np.arange(-2, 45), 31.5, 32.0, 63.0, np.inf, np.nan], len(Xt))
    # values exactly on the trees' thresholds (as f32, where the double threshold may differ)
    dumped = booster.dump_model()["tree_info"]
    nodes = [dumped[0]["tree_structure"]]
    on_threshold = []
    while nodes:
        n = nodes.pop()
        if "split_feature" in n:
            if n["decision_type"] == "<=":
                on_threshold.append((n["split_feature"], n["threshold"]))
            nodes += [n["left_child"], n["right_child"]]
    for k, (f, t) in enumerate(on_threshold):
        Xt[k, f] = np.float32(t)
        Xt[k + len(on_threshold), f] = np.nextafter(np.float32(t), np.float32(np.inf))
    want = booster.predict(Xt, raw_score=True)
    np.testing.assert_allclose(ours.predict(Xt) if objective != "binary" else ours._native.predict(Xt), want, rtol=1e-12, atol=1e-12)
    if objective == "binary":
        np.testing.assert_allclose(ours.predict_proba(Xt)[:, 1], booster.predict(Xt), rtol=1e-12, atol=1e-15)
    # the same through a file LightGBM wrote, and after recsys's own save and load
    booster.save_model(tmp_path / "model.txt")
    from_file = recsys.gbdt.from_lightgbm(tmp_path / "model.txt")
    from_file.save(tmp_path / "model.recsys")
    again = type(ours).load(tmp_path / "model.recsys")
    np.testing.assert_array_equal(again.predict(Xt), ours.predict(Xt))


def test_lightgbm_models_recsys_cannot_evaluate_are_refused():
    X, target = lightgbm_model_data()
    linear = lightgbm.LGBMRegressor(n_estimators=3, linear_tree=True, verbose=-1).fit(np.nan_to_num(X), target)
    with pytest.raises(ValueError, match="linear tree"):
        recsys.gbdt.from_lightgbm(booster=linear.booster_)
    multi = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, np.digitize(target, [0.0, 1.0]))
    with pytest.raises(ValueError, match="multiclass"):
        recsys.gbdt.from_lightgbm(model_str=multi.booster_.model_to_string())
    poisson = lightgbm.LGBMRegressor(n_estimators=3, objective="poisson", verbose=-1).fit(X, np.abs(target))
    with pytest.raises(ValueError, match="poisson"):
        recsys.gbdt.from_lightgbm(booster=poisson.booster_)
    text = lightgbm.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, target).booster_.model_to_string()
    with pytest.raises(ValueError, match="truncated"):
        recsys.gbdt.from_lightgbm(model_str=text[: len(text) // 2])
    with pytest.raises(TypeError, match="exactly one"):
        recsys.gbdt.from_lightgbm()
    with pytest.raises(TypeError, match="exactly one"):
        recsys.gbdt.from_lightgbm("a.txt", model_str=text)


@pytest.mark.parametrize("objective", ["regression", "binary", "lambdarank"])
def test_lightgbm_serves_models_recsys_wrote(objective, tmp_path):
    """A model recsys trained, written in LightGBM's text format, is loaded by LightGBM and
    predicts what recsys predicts (NaN in the data, so missing-value directions are in it)."""
    X, target = lightgbm_model_data(seed=8)
    if objective == "lambdarank":
        y = np.digitize(target, np.quantile(target, [0.5, 0.8, 0.95]))
        ours = GBDTRanker(n_estimators=30).fit(X, y, group=np.full(60, 100))
    elif objective == "binary":
        ours = GBDTClassifier(n_estimators=30).fit(X, (target > 0.3).astype(int))
    else:
        ours = GBDTRegressor(n_estimators=30).fit(X, target)
    text = ours.to_lightgbm(tmp_path / "model.txt")
    booster = lightgbm.Booster(model_file=str(tmp_path / "model.txt"))
    assert booster.num_trees() == ours.n_estimators_ and booster.model_to_string().startswith("tree")
    assert lightgbm.Booster(model_str=text).num_feature() == X.shape[1]
    rng = np.random.default_rng(1)
    Xt = rng.normal(scale=2.0, size=(2000, 8)).astype(np.float32)
    Xt[rng.random(Xt.shape) < 0.1] = np.nan
    if objective == "binary":
        np.testing.assert_allclose(booster.predict(Xt), ours.predict_proba(Xt)[:, 1], rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_allclose(booster.predict(Xt), ours.predict(Xt), rtol=1e-12, atol=1e-12)


def test_lightgbm_models_survive_a_round_trip_through_recsys():
    """LightGBM -> recsys -> LightGBM: categorical and zero-as-missing splits come back the same."""
    X, target = lightgbm_model_data()
    X[:, 6] = np.random.default_rng(2).integers(0, 40, len(X))
    target = target + np.sin(X[:, 6] * 1.7)
    theirs = lightgbm.LGBMRegressor(n_estimators=20, zero_as_missing=True, cat_smooth=1, min_data_per_group=5, verbose=-1)
    theirs.fit(X, target, categorical_feature=[6])
    back = lightgbm.Booster(model_str=recsys.gbdt.from_lightgbm(booster=theirs.booster_).to_lightgbm())
    Xt = X[:2000].copy()
    Xt[::7, 6] = np.nan
    Xt[::5, 3] = 0.0
    np.testing.assert_allclose(back.predict(Xt), theirs.booster_.predict(Xt), rtol=1e-12, atol=1e-12)


def shop_frame(n, seed):
    """Rows of a shop: a category column (60 brands whose effect follows no order of their
    names) and two numbers; some brands missing."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    brands = [f"brand-{i:02d}" for i in range(60)]
    effect = dict(zip(brands, np.random.default_rng(0).normal(scale=3.0, size=60)))
    brand = rng.choice(brands, n)
    price, age = rng.uniform(1, 100, n), rng.uniform(0, 10, n)
    y = np.array([effect[b] for b in brand]) + 0.03 * price - 0.2 * age + 0.3 * rng.normal(size=n)
    frame = pd.DataFrame({"brand": pd.Categorical(brand, categories=brands), "price": price, "age": age})
    frame.loc[rng.random(n) < 0.03, "brand"] = None
    y[frame["brand"].isna().to_numpy()] = 0.03 * price[frame["brand"].isna().to_numpy()]
    return frame, y


def test_categorical_features_as_lightgbm_takes_them():
    """A DataFrame's category columns are categorical features (categorical_feature="auto"),
    split by category sets: the error is close to LightGBM's on the same frames, far below
    treating the codes as numbers, and prediction maps categories by name, not by code."""
    pd = pytest.importorskip("pandas")
    train, y = shop_frame(8000, 1)
    test, yt = shop_frame(3000, 2)
    settings = dict(n_estimators=100, learning_rate=0.1, num_leaves=15)
    ours = GBDTRegressor(**settings).fit(train, y)
    theirs = lightgbm.LGBMRegressor(**settings, verbose=-1).fit(train, y)
    rmse = lambda p: float(np.sqrt(np.mean((p - yt) ** 2)))  # noqa: E731
    as_numbers = GBDTRegressor(**settings).fit(train.assign(brand=train["brand"].cat.codes), y)
    ours_err, theirs_err = rmse(ours.predict(test)), rmse(theirs.predict(test))
    numbers_err = rmse(as_numbers.predict(test.assign(brand=test["brand"].cat.codes)))
    # the README's figures (pytest -s shows them)
    print(f"test RMSE: recsys {ours_err:.3f}, LightGBM {theirs_err:.3f}, brand codes as numbers {numbers_err:.3f}")
    assert ours_err < 1.1 * theirs_err and ours_err < 0.6 * numbers_err, (ours_err, theirs_err, numbers_err)
    # the same categories in another order, and a frame of one row: the same predictions
    shuffled = test.assign(brand=test["brand"].cat.reorder_categories(list(reversed(test["brand"].cat.categories))))
    np.testing.assert_array_equal(ours.predict(shuffled), ours.predict(test))
    np.testing.assert_array_equal(ours.predict(test.iloc[[5]]), ours.predict(test)[[5]])
    # the model travels with its categories; LightGBM's text carries the splits
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ours)).predict(shuffled), ours.predict(test))
    booster = lightgbm.Booster(model_str=ours.to_lightgbm())
    def coded(frame):
        return frame.assign(brand=frame["brand"].cat.codes.replace(-1, np.nan).astype(float))

    np.testing.assert_allclose(booster.predict(coded(test).to_numpy()), ours.predict(test), rtol=1e-9, atol=1e-9)
    # by name or by index, on arrays too: the same model as from the category column
    by_name = GBDTRegressor(**settings).fit(coded(train), y, categorical_feature=["brand"])
    by_index = GBDTRegressor(**settings).fit(coded(train).to_numpy(), y, categorical_feature=[0])
    np.testing.assert_array_equal(by_name.predict(coded(test)), ours.predict(test))
    np.testing.assert_array_equal(by_index.predict(coded(test).to_numpy()), ours.predict(test))
    with pytest.raises(ValueError, match="not a column of X"):
        GBDTRegressor().fit(train, y, categorical_feature=["colour"])
    with pytest.raises(ValueError, match="categorical_features"):
        GBDTRegressor().fit(coded(train).to_numpy(), y, categorical_feature=[7])
    with pytest.raises(ValueError, match="is not a category"):
        GBDTRegressor().fit(np.c_[np.full(len(y), 5e7), coded(train).to_numpy()], y, categorical_feature=[0])
