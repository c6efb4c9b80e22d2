#!/usr/bin/env python3
"""Runs the layer classes of portafilter_layers.py without Keras: on a stand-in `Layer` base class
that accepts only what Keras' Layer takes besides the layer's own config (name, trainable, dtype),
computing with numpy (numpy_ops.py) in place of keras.ops.

usage: portafilter_layers_check.py MODULE_DIR < cases.json

cases.json: {"cases": [{"class_name", "name", "config", "input": {"shape", "data"},
                        "weights": {"scale"?: {"shape", "data"}, "bias"?: ...}}]}
with float32 data as base64 of its little-endian bytes. Prints {"results": [{"config", "output_shape",
"outputs": [{"shape", "data"}], "tf_outputs": [...]}], "registered": [names]}: each layer's get_config()
after construction from the config, its compute_output_shape for the input with a None batch, what its
call() computes with numpy in place of keras.ops (outputs) and through the module's tf.keras 2 adapter
TensorFlowOps over numpy in place of TensorFlow (tf_outputs), and the names the classes register under.
"""
import base64
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_ops  # noqa: E402
import numpy_tf  # noqa: E402


class StubLayer:
    """What the layers use of Keras' Layer."""

    def __init__(self, name=None, trainable=True, dtype=None):
        self.name = name
        self.trainable = trainable
        self.dtype = dtype
        self.built = False

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    def add_weight(self, name=None, shape=None, initializer=None, trainable=True, dtype=None):
        return np.full(shape, 1.0 if initializer == "ones" else 0.0, dtype=np.float32)

    def build(self, input_shape):
        self.built = True

    def __call__(self, x):
        if not self.built:
            self.build(x.shape)
        y = self.call(x)
        return y if isinstance(y, list) else [y]


def array(spec):
    return np.frombuffer(base64.b64decode(spec["data"]), dtype="<f4").reshape(spec["shape"]).copy()


def encode(x):
    x = np.ascontiguousarray(x, dtype="<f4")
    return {"shape": list(x.shape), "data": base64.b64encode(x.tobytes()).decode("ascii")}


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Registry:
    """What the module uses of keras.saving / tf.keras.utils: records the names classes register under."""

    def __init__(self):
        self.names = []

    def register_keras_serializable(self, package="Custom", name=None):
        def decorator(cls):
            self.names.append(f"{package}>{name or cls.__name__}")
            return cls

        return decorator

    def get_custom_objects(self):
        return {}


def run(classes, case):
    layer = classes[case["class_name"]](name=case["name"], trainable=True, dtype="float32", **case["config"])
    x = array(case["input"])
    weights = case.get("weights") or {}
    if weights:
        layer.build(x.shape)
        for key, value in weights.items():
            setattr(layer, key, array(value))
    return layer, layer(x), x


def main(module_dir):
    sys.path.insert(0, module_dir)
    import portafilter_layers

    classes = portafilter_layers._define(StubLayer, numpy_ops)
    tf_classes = portafilter_layers._define(StubLayer, portafilter_layers.TensorFlowOps(numpy_tf))
    results = []
    for case in json.load(sys.stdin)["cases"]:
        layer, outputs, x = run(classes, case)
        _, tf_outputs, _ = run(tf_classes, case)
        shape = layer.compute_output_shape((None,) + x.shape[1:])
        results.append(
            {
                "config": {k: plain(v) for k, v in layer.get_config().items()},
                "output_shape": plain(shape),
                "outputs": [encode(y) for y in outputs],
                "tf_outputs": [encode(y) for y in tf_outputs],
            }
        )
    registry = Registry()
    for cls in classes.values():
        portafilter_layers._register(registry, cls)
    json.dump({"results": results, "registered": registry.names, "layer_names": list(portafilter_layers.LAYER_NAMES)}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
