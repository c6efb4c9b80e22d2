#!/usr/bin/env python3
"""The yardstick for parse_vgg16_cli: Google's protobuf for Python reading and parsing a caffemodel.

usage: python_protobuf_parse.py CAFFE_DESCRIPTOR_SET CAFFEMODEL
prints one JSON line: seconds (read + parse, the clock started after the imports and the schema),
peak_rss_mb, params (floats found), and the protobuf version and backend (upb, cpp or python).

The schema comes as a FileDescriptorSet of proto/caffe.proto (bench/cli.ts writes it with protobufjs),
so no protoc is needed.
"""
import json
import resource
import sys
import time

from google.protobuf import __version__ as version
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal import api_implementation

descriptor_set, caffemodel = sys.argv[1:]
pool = descriptor_pool.DescriptorPool()
with open(descriptor_set, "rb") as f:
    for file in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
        pool.Add(file)
descriptor = pool.FindMessageTypeByName("caffe.NetParameter")
NetParameter = message_factory.GetMessageClass(descriptor) if hasattr(message_factory, "GetMessageClass") else message_factory.MessageFactory(pool).GetPrototype(descriptor)

start = time.perf_counter()
with open(caffemodel, "rb") as f:
    net = NetParameter.FromString(f.read())
seconds = time.perf_counter() - start
params = sum(len(b.data) for layer in net.layer for b in layer.blobs)
print(json.dumps({
    "seconds": seconds,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "params": params,
    "protobuf": f"{version} ({api_implementation.Type()})",
}))
