"""Data sets: shapes, labels, balance, reproducibility, geometry, standardisation, the CSV reader."""

import pickle

import numpy as np
import pytest

from reluscope.data import (DATASETS, Standardizer, drawn_dataset, generate, load_csv, load_dataset, make_spirals,
                            make_xor, save_csv)
from reluscope.errors import ReluscopeError

N_CLASSES = {"moons": 2, "circles": 2, "spirals": 2, "xor": 2, "gaussians": 3, "checkerboard": 2}


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_labels_balance(name):
    X, y = generate(name, 301, random_state=1)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == N_CLASSES[name]
    assert counts.max() - counts.min() <= (1 if name != "checkerboard" else 60)  # checkerboard: uniform points


@pytest.mark.parametrize("name", list(DATASETS))
def test_reproducible_with_seed_and_different_with_another(name):
    a, ya = generate(name, 200, random_state=3)
    b, yb = generate(name, 200, random_state=3)
    c, _ = generate(name, 200, random_state=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", list(DATASETS))
def test_load_dataset_is_standardised_on_train(name):
    d = load_dataset(name, 800, random_state=0)
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-12)
    assert abs(d.X_test.mean()) < 0.2 and abs(d.X_test.std() - 1) < 0.2
    assert len(d.y_test) == 200 and set(np.unique(d.y_test)) == set(range(N_CLASSES[name]))


def test_spiral_points_lie_near_their_arm():
    noise, turns = 0.05, 1.5
    X, y = make_spirals(400, n_arms=3, turns=turns, noise=noise, random_state=0)
    r = np.linalg.norm(X, axis=1) / 3.0  # r = t on the noiseless arm
    theta = 2 * np.pi * (turns * r + y / 3)
    arm = 3.0 * r[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    assert np.median(np.linalg.norm(X - arm, axis=1)) < 6 * noise


def test_xor_label_is_sign_of_product():
    X, y = make_xor(400, noise=0.1, random_state=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_standardizer_round_trip():
    X = np.random.default_rng(0).normal(3, 5, size=(50, 2))
    s = Standardizer.fit(X)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X)
    np.testing.assert_allclose(Standardizer.from_dict(s.to_dict()).transform(X), s.transform(X))


def test_csv_round_trip(tmp_path):
    X, y = generate("gaussians", 60, random_state=0)
    save_csv(tmp_path / "g.csv", X, y)
    X2, y2 = load_csv(tmp_path / "g.csv")
    np.testing.assert_allclose(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_csv_string_labels_map_to_sorted_indices(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("x1,x2,label\n0,0,b\n1,1,a\n2,2,b\n3,3,a\n")
    _, y = load_csv(p)
    np.testing.assert_array_equal(y, [1, 0, 1, 0])


BAD_CSV = {
    "empty": ("", "empty"),
    "header only": ("x1,x2,label\n", "empty"),
    "non-numeric": ("x1,x2,label\n0,a,0\n1,1,1\n2,2,0\n3,3,1\n", "must be numbers"),
    "nan": ("x1,x2,label\n0,nan,0\n1,1,1\n2,2,0\n3,3,1\n", "finite"),
    "inf": ("x1,x2,label\n0,inf,0\n1,1,1\n2,2,0\n3,3,1\n", "finite"),
    "columns": ("x1,x2,label\n0,0,0,9\n1,1,1,9\n2,2,0,9\n3,3,1,9\n", "3 columns"),
    "one class": ("x1,x2,label\n0,0,0\n1,1,0\n2,2,0\n3,3,0\n", "one class"),
    "few rows": ("x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n", "at least 4"),
    "no header": ("0.5,0,0\n1,1,1\n2,2,0\n3,3,1\n4,4,0\n",
                  "line 1: the first line is data, not a header; add a header line x1,x2,label"),
}


def test_binary_csv_names_the_problem(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"\xff\xfe\x00garbage\n")
    with pytest.raises(ReluscopeError, match="UTF-8"):
        load_csv(p)


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_bad_csv_names_the_problem(tmp_path, case):
    text, message = BAD_CSV[case]
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ReluscopeError, match=message) as refused:
        load_csv(p)
    again = pickle.loads(pickle.dumps(refused.value))  # as a worker process hands it back
    assert (type(again), str(again), again.reason, again.values) == (type(refused.value), str(refused.value),
                                                                     refused.value.reason, refused.value.values)


def test_csv_whose_variance_overflows_is_refused(tmp_path):
    p = tmp_path / "huge.csv"
    save_csv(p, np.array([[1e308, 1e308], [-1e308, -1e308], [1e308, -1e308], [-1e308, 1e308]] * 2),
             np.array([0, 1, 0, 1] * 2))
    with pytest.raises(ReluscopeError, match="too large"):
        load_dataset(str(p))


def test_missing_csv_and_unknown_name():
    with pytest.raises(ReluscopeError, match="not found"):
        load_csv("/nonexistent/data.csv")
    with pytest.raises(ReluscopeError, match="unknown data set"):
        load_dataset("nope")


def test_digits_are_the_64_pixel_images_standardised_and_split():
    X, y = generate("digits", random_state=0)
    assert X.shape == (1797, 64) and X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))
    d = load_dataset("digits", 10, random_state=0)  # a fixed set: n_samples does not apply
    assert d.n_features == 64 and d.n_classes == 10 and len(d.X) == 1797 and len(d.y_test) == 449
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    std = d.X_train.std(axis=0)  # 1 per pixel, 0 for the pixels blank in every training image
    assert np.all(np.isclose(std, 1, atol=1e-12) | (std == 0)) and (std == 0).sum() < 5
    assert set(np.unique(d.y_test)) == set(range(10))
    noisy, _ = generate("digits", noise=1.0, random_state=3)
    assert 0.9 < (noisy - X).std() < 1.1


def test_csv_with_more_feature_columns(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)), np.arange(60) % 3
    save_csv(tmp_path / "five.csv", X, y)
    X2, y2 = load_csv(tmp_path / "five.csv", n_features=None)
    np.testing.assert_allclose(X2, X)
    np.testing.assert_array_equal(y2, y)
    d = load_dataset(str(tmp_path / "five.csv"))
    assert d.n_features == 5 and d.n_classes == 3
    with pytest.raises(ReluscopeError, match="expected 3 columns"):
        load_csv(tmp_path / "five.csv")  # the plane's reader (the playground's upload) stays 2D
    (tmp_path / "ragged.csv").write_text("a,b,c,label\n0,0,0,0\n1,1,1,1\n2,2,0\n3,3,3,1\n")
    with pytest.raises(ReluscopeError, match="line 4: expected 4 columns"):
        load_csv(tmp_path / "ragged.csv", n_features=None)


def test_drawn_points_are_a_data_set_as_they_are_and_none_an_empty_plane():
    empty = drawn_dataset([])
    assert empty.X_train.shape == empty.X_test.shape == (0, 2) and empty.y_train.shape == (0,)
    drawn = drawn_dataset([(0.5, -1.0, 0), (2.0, 3.0, 2)])
    assert drawn.X_train.tolist() == drawn.X_test.tolist() == [[0.5, -1.0], [2.0, 3.0]]
    assert drawn.y_train.tolist() == [0, 2] and drawn.n_classes == 3 and drawn.name == "drawn"
    assert np.array_equal(drawn.scaler.transform(drawn.X_train), drawn.X_train)  # already on the standardised plane
