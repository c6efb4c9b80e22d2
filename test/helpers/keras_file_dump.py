#!/usr/bin/env python3
"""An independent reader for the Keras export tests: Python's zipfile and Debian's h5py.

usage: keras_file_dump.py FILE   (a .keras archive or a .h5 file)

Prints one JSON object:
  zip       (.keras only) entries: name, compress_type, file_size; `bad`: zipfile.testzip()
  metadata  (.keras only) metadata.json, parsed with json.loads
  config    (.keras only) config.json, parsed with json.loads
  hdf5      the HDF5 file (model.weights.h5 inside a .keras): every object by path ("/" the root):
            {"kind": "group" | "dataset", "attrs": {name: value}, "shape", "dtype", "sha256"}
            attribute values: str for bytes, lists of str for byte-string arrays;
            `model_config` is parsed with json.loads; sha256 of the dataset's bytes, little-endian float32.
Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
"""
import hashlib
import io
import json
import sys
import zipfile

import h5py
import numpy as np


def attr_value(name, value):
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    elif isinstance(value, np.ndarray):
        value = [v.decode("utf-8") if isinstance(v, bytes) else v.item() for v in value.tolist()] if value.dtype.kind == "S" else value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if name == "model_config":
        value = json.loads(value)
    return value


def dump_hdf5(f):
    objects = {"/": {"kind": "group", "attrs": {k: attr_value(k, v) for k, v in f.attrs.items()}}}

    def visit(name, obj):
        entry = {"kind": "dataset" if isinstance(obj, h5py.Dataset) else "group", "attrs": {k: attr_value(k, v) for k, v in obj.attrs.items()}}
        if isinstance(obj, h5py.Dataset):
            data = np.asarray(obj[()])
            entry.update(shape=list(data.shape), dtype=data.dtype.str, sha256=hashlib.sha256(data.astype("<f4").tobytes()).hexdigest())
        objects[name] = entry

    f.visititems(visit)
    return objects


def finite(value):
    """JSON.parse reads no NaN / Infinity: non-finite floats become the strings Python writes."""
    if isinstance(value, float) and not np.isfinite(value):
        return json.dumps(value)
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    return value


def main(path):
    out = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            out["zip"] = {
                "entries": [{"name": i.filename, "compress_type": i.compress_type, "file_size": i.file_size} for i in z.infolist()],
                "bad": z.testzip(),
            }
            out["metadata"] = json.loads(z.read("metadata.json"))
            out["config"] = json.loads(z.read("config.json"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
                out["hdf5"] = dump_hdf5(f)
    else:
        with h5py.File(path, "r") as f:
            out["hdf5"] = dump_hdf5(f)
    json.dump(finite(out), sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main(sys.argv[1])
