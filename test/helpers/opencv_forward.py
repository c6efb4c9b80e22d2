#!/usr/bin/env python3
"""An independent Caffe implementation for the tests: OpenCV's dnn module (Debian's python3-opencv).

usage: opencv_forward.py PROTOTXT CAFFEMODEL INPUT.npy INPUT_NAME OUT_DIR LAYER [LAYER ...]

Runs one forward (layer fusion off, plain CPU backend) and saves each named layer's first output as
OUT_DIR/<layer index>.npy, float32, in Caffe's layout. Ask only for layers whose output no later
in-place layer overwrites: OpenCV computes in place there, as pycaffe's net.blobs shows.
"""
import sys

import cv2
import numpy as np

prototxt, caffemodel, input_npy, input_name, out_dir, *layers = sys.argv[1:]
net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
net.enableFusion(False)
net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
net.setInput(np.load(input_npy).astype(np.float32), input_name)
for i, out in enumerate(net.forward(layers)):
    np.save(f"{out_dir}/{i}.npy", np.ascontiguousarray(out, dtype=np.float32))
print(cv2.__version__)
