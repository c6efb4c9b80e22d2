"""Portafilter's custom Keras layers: Caffe semantics that Keras' own layers do not have.

Portafilter (a Caffe -> Keras converter) writes this module next to every model it exports that
uses one of these layers. Import it before loading the model; the import registers the layers
under the names the model file refers to ("Portafilter>CaffeLRN", ...):

    import keras
    import portafilter_layers
    model = keras.saving.load_model("model.keras")    # or "model.h5"

With Keras 3 the layers compute through `keras.ops`, so they run on every backend (TensorFlow,
JAX, PyTorch). Without Keras 3 (TensorFlow 2.15 and earlier) they register with tf.keras 2 for the
legacy .h5 format; with the tf_keras package installed they register there too.
`custom_objects()` gives the classes by name, for code that passes `custom_objects=` itself.

The math of each layer lives in a plain function of an `ops` namespace (keras.ops under Keras 3,
a TensorFlow adapter under tf.keras 2) and follows the TypeScript layer of the same name in
Portafilter (src/main/keras/custom/*.ts), whose comments give each formula and its source in
Caffe's code:

  CaffePooling  MAX / AVE pooling with Caffe's output size (ceil by default) and AVE divisor
  CaffeLRN      local response normalisation, across channels or within a channel
  CaffeNeuron   AbsVal, Power, Exp, Log, Threshold, Clip, Swish (beta != 1)
  CaffeScale    x * scale + bias with learned weights broadcast over the input
  CaffeSlice    one output per piece of an axis
  CaffeArgMax   Caffe's top-k indices (as floats) or values; equal values: the larger index first
"""

import math

import numpy as np

PACKAGE = "Portafilter"
LAYER_NAMES = ("CaffeArgMax", "CaffeLRN", "CaffeNeuron", "CaffePooling", "CaffeScale", "CaffeSlice")


# ----------------------------------------------------------------------------------------------
# The math: plain functions of `ops` (keras.ops names and signatures) and an input tensor.
# ----------------------------------------------------------------------------------------------


def _channels_last(ops, x, data_format):
    return ops.transpose(x, (0, 2, 3, 1)) if data_format == "channels_first" else x


def _from_channels_last(ops, x, data_format):
    return ops.transpose(x, (0, 3, 1, 2)) if data_format == "channels_first" else x


def _dim(x, axis):
    return int(x.shape[axis])


def _cut(x, axis, start, stop):
    """x[..., start:stop, ...] along `axis` (plain indexing: every backend's tensors support it)."""
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def caffe_lrn(ops, x, local_size, alpha, beta, k=1.0, norm_region="across_channels", data_format="channels_last"):
    """Caffe's LRN (lrn_layer.cpp) on a 4-D tensor, with x^2 summed over zero-padded windows:

    across_channels  y = x * (k + alpha/n * sum_{|c'-c| <= (n-1)/2} x[c']^2) ^ -beta
    within_channel   y = x * (1 + alpha/n^2 * sum_{n x n window around (h, w)} x^2) ^ -beta
    """
    n = int(local_size)
    if n < 1 or n % 2 != 1:
        raise ValueError(f"CaffeLRN: local_size must be odd, got {local_size}")
    half = (n - 1) // 2
    x = _channels_last(ops, x, data_format)
    sq = ops.square(x)
    if norm_region in ("within_channel", "withinChannel"):
        padded = ops.pad(sq, ((0, 0), (half, half), (half, half), (0, 0)))
        mean = ops.average_pool(padded, (n, n), strides=(1, 1), padding="valid", data_format="channels_last")
        scale = mean * float(alpha) + 1.0
    else:
        c = _dim(x, 3)
        padded = ops.pad(sq, ((0, 0), (0, 0), (0, 0), (half, half)))
        total = _cut(padded, 3, 0, c)
        for i in range(1, n):
            total = total + _cut(padded, 3, i, i + c)
        scale = total * (float(alpha) / n) + float(k)
    return _from_channels_last(ops, x * ops.power(scale, -float(beta)), data_format)


def caffe_pooled_size(size, kernel, stride, pad, round_mode="ceil"):
    """Caffe's pooled size of one axis (pooling_layer.cpp Reshape): ceil (or floor) of a float
    division, then with padding the last window must start inside image + pad."""
    rounding = math.floor if round_mode == "floor" else math.ceil
    out = int(rounding(float(np.float32(np.float32(size + 2 * pad - kernel) / np.float32(stride))))) + 1
    if pad > 0 and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _ave_divisors(size, kernel, stride, pad, out):
    """The AVE divisor of each output along one axis: the window clipped to image + pad."""
    return [min(j * stride - pad + kernel, size + pad) - (j * stride - pad) for j in range(out)]


def caffe_pooling(ops, x, mode, pool_size, strides, padding, round_mode="ceil", data_format="channels_last"):
    """Caffe's MAX / AVE pooling (pooling_layer.cpp) on a 4-D tensor. Window j of an axis spans
    [j*s - p, min(j*s - p + k, H + p)); MAX takes the maximum of its cells inside the image (padding
    never wins); AVE sums them and divides by the window's size (padding counts, the overhang past
    H + p does not)."""
    if mode not in ("max", "ave"):
        raise ValueError(f"CaffePooling: mode must be 'max' or 'ave', got {mode!r}")
    x = _channels_last(ops, x, data_format)
    h, w = _dim(x, 1), _dim(x, 2)
    (kh, kw), (sh, sw), (ph, pw) = pool_size, strides, padding
    oh = caffe_pooled_size(h, kh, sh, ph, round_mode)
    ow = caffe_pooled_size(w, kw, sw, pw, round_mode)
    # Pad (-inf for MAX, zeros for AVE) so that exactly the `o` windows fit, then pool 'valid'.
    need_h, need_w = (oh - 1) * sh + kh, (ow - 1) * sw + kw
    fill = float("-inf") if mode == "max" else 0.0
    padded = ops.pad(x, ((0, 0), (ph, max(need_h - h - ph, 0)), (pw, max(need_w - w - pw, 0)), (0, 0)), constant_values=fill)
    if _dim(padded, 1) > need_h or _dim(padded, 2) > need_w:
        padded = padded[:, :need_h, :need_w, :]
    if mode == "max":
        y = ops.max_pool(padded, (kh, kw), strides=(sh, sw), padding="valid", data_format="channels_last")
    else:
        # average_pool divides every window by kh*kw; rescale each output to Caffe's divisor.
        dh = _ave_divisors(h, kh, sh, ph, oh)
        dw = _ave_divisors(w, kw, sw, pw, ow)
        factor = np.array([[kh * kw / (a * b) for b in dw] for a in dh], dtype=np.float32).reshape(1, oh, ow, 1)
        y = ops.average_pool(padded, (kh, kw), strides=(sh, sw), padding="valid", data_format="channels_last")
        y = ops.multiply(y, ops.convert_to_tensor(factor))
    return _from_channels_last(ops, y, data_format)


NEURON_PARAMS = {
    "abs": (),
    "power": ("power", "scale", "shift"),
    "exp": ("base", "scale", "shift"),
    "log": ("base", "scale", "shift"),
    "threshold": ("threshold",),
    "clip": ("min", "max"),
    "swish": ("beta",),
}
NEURON_DEFAULTS = {"power": 1.0, "scale": 1.0, "shift": 0.0, "base": -1.0, "threshold": 0.0, "beta": 1.0}


def neuron_params(function, given):
    """The parameters `function` uses, from `given` (a config) or their defaults."""
    if function not in NEURON_PARAMS:
        raise ValueError(f"CaffeNeuron: unknown function {function!r}")
    params = {}
    for key in NEURON_PARAMS[function]:
        value = given.get(key, NEURON_DEFAULTS.get(key))
        if value is None:
            raise ValueError(f"CaffeNeuron {function!r} needs {key!r}")
        params[key] = float(value)
    return params


def _pow(a, b):
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        return float("nan")


def caffe_neuron(ops, x, function, **given):
    """Caffe's element-wise layers without an exact standard Keras layer, in the order of operations
    of their *_layer.cpp:

    abs        |x|
    power      (shift + scale*x)^power; the constant 1 if power = 0, shift^power if scale = 0
    exp        base^(shift + scale*x) = e^(shift ln b) * e^(scale ln b * x); base -1 means e
    log        log_base(shift + scale*x) = ln(shift + scale*x) / ln b; base -1 means e
    threshold  1 if x > threshold else 0
    clip       max(min(x, max), min)
    swish      x * sigmoid(beta*x)
    """
    p = neuron_params(function, given)
    if function == "abs":
        return ops.abs(x)
    if function == "power":
        if p["power"] == 0 or p["scale"] == 0:
            return ops.full_like(x, 1.0 if p["power"] == 0 else _pow(p["shift"], p["power"]))
        y = x if p["scale"] == 1 else x * p["scale"]
        if p["shift"] != 0:
            y = y + p["shift"]
        return y if p["power"] == 1 else ops.power(y, p["power"])
    if function == "exp":
        log_base = 1.0 if p["base"] == -1 else math.log(p["base"])
        inner = log_base * p["scale"]
        outer = 1.0 if p["shift"] == 0 else (math.exp(p["shift"]) if p["base"] == -1 else _pow(p["base"], p["shift"]))
        y = ops.exp(x if inner == 1 else x * inner)
        return y if outer == 1 else y * outer
    if function == "log":
        base_scale = 1.0 if p["base"] == -1 else 1.0 / math.log(p["base"])
        y = x if p["scale"] == 1 else x * p["scale"]
        if p["shift"] != 0:
            y = y + p["shift"]
        y = ops.log(y)
        return y if base_scale == 1 else y * base_scale
    if function == "threshold":
        return ops.cast(ops.greater(x, p["threshold"]), "float32")
    if function == "clip":
        return ops.maximum(ops.minimum(x, p["max"]), p["min"])
    # swish
    return x * ops.sigmoid(x if p["beta"] == 1 else x * p["beta"])


def caffe_scale(ops, x, scale=None, bias=None):
    """Caffe's Scale / Bias with learned blobs: x * scale + bias, the weights broadcast over the input."""
    y = x
    if scale is not None:
        y = y * scale
    if bias is not None:
        y = y + bias
    return y


def slice_bounds(size, slice_points):
    points = [0, *[int(p) for p in slice_points], int(size)]
    for a, b in zip(points, points[1:]):
        if not b > a:
            raise ValueError(f"CaffeSlice: slice points {list(slice_points)} do not fit an axis of {size}")
    return points


def caffe_slice(ops, x, axis, slice_points):
    """Caffe's Slice (slice_layer.cpp): output i is x[p_i : p_{i+1}] along `axis`, p = [0, *points, size]."""
    b = slice_bounds(_dim(x, axis), slice_points)
    return [_cut(x, axis, start, stop) for start, stop in zip(b, b[1:])]


def arg_max_shape(input_shape, axis=None, top_k=1, out_max_val=False):
    s = list(input_shape)
    if axis is not None:
        return tuple(top_k if a == axis else d for a, d in enumerate(s))
    out = [1] * max(len(s), 3)
    out[0] = s[0]
    out[1] = 2 if out_max_val else 1
    out[2] = int(top_k)
    return tuple(out)


def caffe_arg_max(ops, x, axis=None, top_k=1, out_max_val=False):
    """Caffe's ArgMax (argmax_layer.cpp), indices as floats; larger values first and, among equal
    values, the larger index first (Caffe sorts (value, index) pairs with std::greater).

    axis set   along `axis` (a Keras axis >= 1): the top_k indices, or their values with out_max_val
    axis None  over each item's values in the tensor's order: (N, 1, top_k) indices, or (N, 2, top_k)
               indices then values with out_max_val, then 1s up to the input's rank (at least 3 axes)

    The order among equal values relies on top_k listing them lower index first, as TensorFlow and
    JAX do (the input is reversed); PyTorch's topk promises no order among equal values.
    """
    k = int(top_k)

    def topk(v):  # along the last axis: values and float indices in Caffe's order
        n = _dim(v, -1)
        values, index = ops.top_k(ops.flip(v, axis=-1), k, sorted=True)
        return values, (n - 1) - ops.cast(index, "float32")

    rank = len(x.shape)
    if axis is not None:
        axis = int(axis)
        if axis < 1:
            raise ValueError(f"CaffeArgMax: axis must be >= 1 or None, got {axis}")
        perm = [a for a in range(rank) if a != axis] + [axis]
        back = [perm.index(a) for a in range(rank)]
        values, index = topk(ops.transpose(x, perm))
        return ops.transpose(values if out_max_val else index, back)
    flat = ops.reshape(x, (-1, int(np.prod([_dim(x, a) for a in range(1, rank)]))))
    values, index = topk(flat)
    y = ops.stack([index, values], axis=1) if out_max_val else ops.expand_dims(index, 1)
    return ops.reshape(y, (-1,) + arg_max_shape(x.shape, None, k, out_max_val)[1:])


# ----------------------------------------------------------------------------------------------
# The Keras layers, defined once per Keras found (Keras 3; tf.keras 2; the tf_keras package).
# ----------------------------------------------------------------------------------------------


def _shape(s):
    s = s.as_list() if hasattr(s, "as_list") else s
    return tuple(None if d is None else int(d) for d in s)


def _define(Layer, ops):
    """The six layer classes on the base class `Layer`, computing with `ops`."""

    class CaffePooling(Layer):
        """MAX / AVE pooling with Caffe's exact windows and divisors (see `caffe_pooling`)."""

        def __init__(self, mode, pool_size, strides, padding, round_mode="ceil", data_format="channels_last", **kwargs):
            super().__init__(**kwargs)
            if mode not in ("max", "ave"):
                raise ValueError(f"CaffePooling: mode must be 'max' or 'ave', got {mode!r}")
            self.mode = mode
            self.pool_size = tuple(int(v) for v in pool_size)
            self.pool_strides = tuple(int(v) for v in strides)
            self.pool_padding = tuple(int(v) for v in padding)
            self.round_mode = "floor" if round_mode == "floor" else "ceil"
            self.data_format = "channels_first" if data_format in ("channels_first", "channelsFirst") else "channels_last"

        def call(self, inputs):
            return caffe_pooling(ops, inputs, self.mode, self.pool_size, self.pool_strides, self.pool_padding, self.round_mode, self.data_format)

        def compute_output_shape(self, input_shape):
            s = list(_shape(input_shape))
            ha, wa = (2, 3) if self.data_format == "channels_first" else (1, 2)
            for a, i in ((ha, 0), (wa, 1)):
                s[a] = caffe_pooled_size(s[a], self.pool_size[i], self.pool_strides[i], self.pool_padding[i], self.round_mode)
            return tuple(s)

        def get_config(self):
            config = super().get_config()
            config.update(
                mode=self.mode,
                pool_size=list(self.pool_size),
                strides=list(self.pool_strides),
                padding=list(self.pool_padding),
                round_mode=self.round_mode,
                data_format=self.data_format,
            )
            return config

    class CaffeLRN(Layer):
        """Caffe's local response normalisation (see `caffe_lrn`)."""

        def __init__(self, local_size, alpha, beta, k=1.0, norm_region="across_channels", data_format="channels_last", **kwargs):
            super().__init__(**kwargs)
            if int(local_size) < 1 or int(local_size) % 2 != 1:
                raise ValueError(f"CaffeLRN: local_size must be odd, got {local_size}")
            self.local_size = int(local_size)
            self.alpha = float(alpha)
            self.beta = float(beta)
            self.k = float(k)
            self.norm_region = "within_channel" if norm_region in ("within_channel", "withinChannel") else "across_channels"
            self.data_format = "channels_first" if data_format in ("channels_first", "channelsFirst") else "channels_last"

        def call(self, inputs):
            return caffe_lrn(ops, inputs, self.local_size, self.alpha, self.beta, self.k, self.norm_region, self.data_format)

        def compute_output_shape(self, input_shape):
            return _shape(input_shape)

        def get_config(self):
            config = super().get_config()
            config.update(
                local_size=self.local_size,
                alpha=self.alpha,
                beta=self.beta,
                k=self.k,
                norm_region=self.norm_region,
                data_format=self.data_format,
            )
            return config

    class CaffeNeuron(Layer):
        """Caffe's element-wise layers without an exact Keras counterpart (see `caffe_neuron`)."""

        def __init__(self, function, power=None, scale=None, shift=None, base=None, threshold=None, min=None, max=None, beta=None, **kwargs):
            super().__init__(**kwargs)
            given = dict(power=power, scale=scale, shift=shift, base=base, threshold=threshold, min=min, max=max, beta=beta)
            self.function = function
            self.params = neuron_params(function, {k: v for k, v in given.items() if v is not None})

        def call(self, inputs):
            return caffe_neuron(ops, inputs, self.function, **self.params)

        def compute_output_shape(self, input_shape):
            return _shape(input_shape)

        def get_config(self):
            config = super().get_config()
            config.update(function=self.function, **self.params)
            return config

    class CaffeScale(Layer):
        """x * scale + bias with learned weights of shape `shape` (the input's without the batch axis,
        1 where they broadcast). Weights: scale, then bias, each only when used."""

        def __init__(self, shape, use_scale=True, use_bias=False, **kwargs):
            super().__init__(**kwargs)
            self.weight_shape = tuple(int(d) for d in shape)
            self.use_scale = bool(use_scale)
            self.use_bias = bool(use_bias)
            if not (self.use_scale or self.use_bias):
                raise ValueError("CaffeScale needs use_scale or use_bias")

        def build(self, input_shape):
            s = _shape(input_shape)
            if len(s) - 1 != len(self.weight_shape) or any(d != 1 and d != s[i + 1] for i, d in enumerate(self.weight_shape)):
                raise ValueError(f"CaffeScale: weights of shape {self.weight_shape} do not broadcast over input {s}")
            self.scale = self.add_weight(name="scale", shape=self.weight_shape, initializer="ones", trainable=True) if self.use_scale else None
            self.bias = self.add_weight(name="bias", shape=self.weight_shape, initializer="zeros", trainable=True) if self.use_bias else None
            self.built = True

        def call(self, inputs):
            return caffe_scale(ops, inputs, self.scale, self.bias)

        def compute_output_shape(self, input_shape):
            return _shape(input_shape)

        def get_config(self):
            config = super().get_config()
            config.update(shape=list(self.weight_shape), use_scale=self.use_scale, use_bias=self.use_bias)
            return config

    class CaffeSlice(Layer):
        """Caffe's Slice: one output per piece of `axis` (see `caffe_slice`)."""

        def __init__(self, axis, slice_points, **kwargs):
            super().__init__(**kwargs)
            if int(axis) < 1:
                raise ValueError(f"CaffeSlice: axis must be >= 1 (the batch axis cannot be sliced), got {axis}")
            self.axis = int(axis)
            self.slice_points = [int(p) for p in slice_points]

        def call(self, inputs):
            return caffe_slice(ops, inputs, self.axis, self.slice_points)

        def compute_output_shape(self, input_shape):
            s = _shape(input_shape)
            b = slice_bounds(s[self.axis], self.slice_points)
            return [tuple(stop - start if a == self.axis else d for a, d in enumerate(s)) for start, stop in zip(b, b[1:])]

        def get_config(self):
            config = super().get_config()
            config.update(axis=self.axis, slice_points=list(self.slice_points))
            return config

    class CaffeArgMax(Layer):
        """Caffe's ArgMax (see `caffe_arg_max`)."""

        def __init__(self, axis=None, top_k=1, out_max_val=False, **kwargs):
            super().__init__(**kwargs)
            if axis is not None and int(axis) < 1:
                raise ValueError(f"CaffeArgMax: axis must be >= 1 or None, got {axis}")
            self.axis = None if axis is None else int(axis)
            self.top_k = int(top_k)
            self.out_max_val = bool(out_max_val)

        def call(self, inputs):
            return caffe_arg_max(ops, inputs, self.axis, self.top_k, self.out_max_val)

        def compute_output_shape(self, input_shape):
            return arg_max_shape(_shape(input_shape), self.axis, self.top_k, self.out_max_val)

        def get_config(self):
            config = super().get_config()
            config.update(axis=self.axis, top_k=self.top_k, out_max_val=self.out_max_val)
            return config

    return {cls.__name__: cls for cls in (CaffeArgMax, CaffeLRN, CaffeNeuron, CaffePooling, CaffeScale, CaffeSlice)}


class TensorFlowOps:
    """The few keras.ops this module uses, for tf.keras 2 (which has no keras.ops), over TensorFlow."""

    def __init__(self, tf):
        self.tf = tf

    def transpose(self, x, axes):
        return self.tf.transpose(x, axes)

    def reshape(self, x, shape):
        return self.tf.reshape(x, shape)

    def pad(self, x, pad_width, constant_values=0):
        return self.tf.pad(x, pad_width, constant_values=constant_values)

    def _pool(self, x, pool_size, strides, padding, data_format, op):
        if data_format != "channels_last":
            raise ValueError("TensorFlowOps pools channels_last tensors only")
        return op(x, ksize=pool_size, strides=strides, padding=padding.upper(), data_format="NHWC")

    def max_pool(self, x, pool_size, strides, padding="valid", data_format="channels_last"):
        return self._pool(x, pool_size, strides, padding, data_format, self.tf.nn.max_pool2d)

    def average_pool(self, x, pool_size, strides, padding="valid", data_format="channels_last"):
        return self._pool(x, pool_size, strides, padding, data_format, self.tf.nn.avg_pool2d)

    def square(self, x):
        return self.tf.square(x)

    def power(self, x, y):
        return self.tf.pow(x, y)

    def multiply(self, x, y):
        return self.tf.multiply(x, y)

    def abs(self, x):
        return self.tf.abs(x)

    def exp(self, x):
        return self.tf.exp(x)

    def log(self, x):
        return self.tf.math.log(x)

    def sigmoid(self, x):
        return self.tf.sigmoid(x)

    def maximum(self, x, y):
        return self.tf.maximum(x, y)

    def minimum(self, x, y):
        return self.tf.minimum(x, y)

    def greater(self, x, y):
        return self.tf.greater(x, y)

    def cast(self, x, dtype):
        return self.tf.cast(x, dtype)

    def full_like(self, x, value):
        return self.tf.fill(self.tf.shape(x), self.tf.constant(value, dtype=x.dtype))

    def flip(self, x, axis):
        return self.tf.reverse(x, [axis])

    def top_k(self, x, k, sorted=True):
        result = self.tf.math.top_k(x, k=k, sorted=sorted)
        return result.values, result.indices

    def stack(self, xs, axis=0):
        return self.tf.stack(xs, axis=axis)

    def expand_dims(self, x, axis):
        return self.tf.expand_dims(x, axis)

    def convert_to_tensor(self, x):
        return self.tf.convert_to_tensor(x)


def _frameworks():
    """(name, Layer base class, ops, module with register_keras_serializable and get_custom_objects)
    of each Keras present: Keras 3, else tf.keras 2; and the tf_keras package when installed."""
    found = []
    try:
        import keras

        keras3 = int(keras.__version__.split(".")[0]) >= 3
    except ImportError:
        keras, keras3 = None, False
    if keras3:
        found.append(("keras", keras.layers.Layer, keras.ops, keras.saving))
    else:
        try:
            import tensorflow as tf
        except ImportError:
            tf = None
        if tf is not None and int(tf.keras.__version__.split(".")[0]) < 3:
            found.append(("tf.keras", tf.keras.layers.Layer, TensorFlowOps(tf), tf.keras.utils))
    import importlib.util

    if importlib.util.find_spec("tf_keras") is not None:
        import tensorflow as tf
        import tf_keras

        found.append(("tf_keras", tf_keras.layers.Layer, TensorFlowOps(tf), tf_keras.utils))
    return found


def _register(registry, cls):
    """`registry.register_keras_serializable(package="Portafilter")(cls)`: the name "Portafilter>Name"
    that model files refer to. Where a name is already registered (the module loaded again) and the
    registry refuses it, the class replaces the earlier one among the custom objects directly."""
    try:
        registry.register_keras_serializable(package=PACKAGE)(cls)
    except ValueError:
        registry.get_custom_objects()[f"{PACKAGE}>{cls.__name__}"] = cls


_CLASSES = {}


def _install():
    for name, layer_base, ops, registry in _frameworks():
        classes = _define(layer_base, ops)
        for cls in classes.values():
            _register(registry, cls)
        _CLASSES[name] = classes
    if _CLASSES:
        # Module attributes: the first Keras' classes (Keras 3 also finds them by module and name).
        globals().update(next(iter(_CLASSES.values())))


def custom_objects(framework=None):
    """The layer classes by plain and registered name ("CaffeLRN", "Portafilter>CaffeLRN") for the
    first Keras found, or for `framework` ("keras", "tf.keras", "tf_keras")."""
    if not _CLASSES:
        return {}
    classes = _CLASSES[framework] if framework else next(iter(_CLASSES.values()))
    return {**classes, **{f"{PACKAGE}>{n}": c for n, c in classes.items()}}


_install()
