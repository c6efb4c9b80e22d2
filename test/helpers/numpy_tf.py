"""A numpy stand-in for the few TensorFlow functions portafilter_layers.TensorFlowOps calls (the
tf.keras 2 path), with TensorFlow's signatures, so that adapter runs here without TensorFlow."""
import collections
import types

import numpy as np

import numpy_ops

float32 = np.float32


def transpose(a, perm=None):
    return np.transpose(a, perm)


def reshape(tensor, shape):
    return np.reshape(tensor, shape)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0):
    assert mode == "CONSTANT"
    return np.pad(tensor, paddings, mode="constant", constant_values=constant_values).astype(tensor.dtype)


def _pool(op, input, ksize, strides, padding, data_format):
    assert padding == "VALID" and data_format == "NHWC", (padding, data_format)
    return op(input, tuple(ksize), tuple(strides), "valid", "channels_last")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC"):  # noqa: A002 (TensorFlow's names)
    return _pool(numpy_ops.max_pool, input, ksize, strides, padding, data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC"):  # noqa: A002
    return _pool(numpy_ops.average_pool, input, ksize, strides, padding, data_format)


nn = types.SimpleNamespace(max_pool2d=max_pool2d, avg_pool2d=avg_pool2d)


def square(x):
    return np.square(x)


def pow(x, y):  # noqa: A001
    return np.power(x, np.float32(y)).astype(np.float32)


def multiply(x, y):
    return np.multiply(x, y).astype(np.float32)


def abs(x):  # noqa: A001
    return np.abs(x)


def exp(x):
    return np.exp(x)


def sigmoid(x):
    return numpy_ops.sigmoid(x)


def maximum(x, y):
    return numpy_ops.maximum(x, y)


def minimum(x, y):
    return numpy_ops.minimum(x, y)


def greater(x, y):
    return numpy_ops.greater(x, y)


def cast(x, dtype):
    return np.asarray(x).astype(dtype)


def fill(dims, value):
    return np.full(tuple(dims), value, dtype=np.asarray(value).dtype)


def shape(input):  # noqa: A002
    return np.array(np.shape(input), dtype=np.int32)


def constant(value, dtype=None):
    return np.asarray(value, dtype=dtype)


def reverse(tensor, axis):
    return np.flip(tensor, tuple(axis))


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _top_k(input, k=1, sorted=True):  # noqa: A002
    values, indices = numpy_ops.top_k(input, k, sorted)
    return TopKV2(values, indices)


math = types.SimpleNamespace(log=np.log, top_k=_top_k)


def stack(values, axis=0):
    return np.stack(values, axis=axis)


def expand_dims(input, axis):  # noqa: A002
    return np.expand_dims(input, axis)


def convert_to_tensor(value):
    return np.asarray(value)
