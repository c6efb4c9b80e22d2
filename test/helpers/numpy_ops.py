"""A numpy stand-in for the few `keras.ops` that portafilter_layers.py computes with, so its math
runs here without Keras (none is installable on this machine). Same names, arguments and results
as keras.ops (float32 in, float32 out); pooling is channels_last 'valid' only, as the module uses it.
Real Keras runs the module outside this machine; these tests check its math and its config handling.
"""
import numpy as np

F32 = np.float32


def transpose(x, axes):
    return np.transpose(x, axes)


def reshape(x, shape):
    return np.reshape(x, shape)


def pad(x, pad_width, mode="constant", constant_values=None):
    assert mode == "constant"
    return np.pad(x, pad_width, mode="constant", constant_values=0 if constant_values is None else constant_values).astype(x.dtype)


def _windows(x, pool_size, strides, padding, data_format):
    assert padding == "valid" and data_format == "channels_last", (padding, data_format)
    kh, kw = pool_size
    sh, sw = strides
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # N, H-kh+1, W-kw+1, C, kh, kw
    return view[:, ::sh, ::sw]


def max_pool(x, pool_size, strides=None, padding="valid", data_format=None):
    return _windows(x, pool_size, strides or pool_size, padding, data_format).max(axis=(-2, -1))


def average_pool(x, pool_size, strides=None, padding="valid", data_format=None):
    w = _windows(x, pool_size, strides or pool_size, padding, data_format)
    return (w.sum(axis=(-2, -1), dtype=F32) / F32(pool_size[0] * pool_size[1])).astype(F32)


def square(x):
    return np.square(x)


def power(x, y):
    return np.power(x, F32(y)).astype(F32)


def multiply(x, y):
    return np.multiply(x, y).astype(F32)


def abs(x):  # noqa: A001 (keras.ops' name)
    return np.abs(x)


def exp(x):
    return np.exp(x)


def log(x):
    return np.log(x)


def sigmoid(x):
    return (F32(1) / (F32(1) + np.exp(-x))).astype(F32)


def maximum(x, y):
    return np.maximum(x, F32(y)).astype(F32)


def minimum(x, y):
    return np.minimum(x, F32(y)).astype(F32)


def greater(x, y):
    return np.greater(x, F32(y))


def cast(x, dtype):
    return np.asarray(x).astype(dtype)


def full_like(x, fill_value, dtype=None):
    return np.full_like(x, fill_value, dtype=dtype or F32)


def flip(x, axis=None):
    return np.flip(x, axis)


def top_k(x, k, sorted=True):  # noqa: A002 (keras.ops' name)
    """The k largest along the last axis, largest first; equal values: the lower index first (as
    tf.math.top_k and jax.lax.top_k order them)."""
    index = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, index, axis=-1), index.astype(np.int32)


def stack(xs, axis=0):
    return np.stack(xs, axis=axis)


def expand_dims(x, axis):
    return np.expand_dims(x, axis)


def convert_to_tensor(x, dtype=None):
    return np.asarray(x, dtype=dtype)
