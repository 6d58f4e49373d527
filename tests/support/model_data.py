"""Comparing the data Rasa's classifiers prepare for training."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.utils.tensorflow.model_data import RasaModelData


def assert_same(rasas: Any, ours: Any) -> None:
    """The same features: lists and object arrays of matrices, element by element."""
    if hasattr(rasas, "toarray"):
        np.testing.assert_array_equal(ours.toarray(), rasas.toarray())
    elif isinstance(rasas, np.ndarray) and rasas.dtype == object:
        assert_same(rasas.tolist(), ours.tolist())
    elif isinstance(rasas, list):
        for rasas_part, ours_part in zip(rasas, ours, strict=True):
            assert_same(rasas_part, ours_part)
    else:  # (FeatureArray's own arithmetic needs arguments numpy does not pass: compared as ndarrays)
        plain = lambda array: array.view(np.ndarray) if isinstance(array, np.ndarray) else array  # noqa: E731
        np.testing.assert_array_equal(plain(ours), plain(rasas))


def assert_same_model_data(rasas: RasaModelData, ours: RasaModelData) -> None:
    assert rasas.keys() == ours.keys() and rasas.number_of_examples() > 0
    assert rasas.number_of_examples() == ours.number_of_examples()
    for key in rasas.keys():
        assert rasas.keys(key) == ours.keys(key)
        for sub_key in rasas.keys(key):
            assert_same(rasas.get(key, sub_key), ours.get(key, sub_key))
