#!/usr/bin/env python3
"""Keras' own `model.layers` order and weight paths for a saved config, for the export tests: the
graph is rebuilt from the config's inbound nodes and ordered by a transcription, kept as close as
possible to the original, of keras/src/ops/function.py (`map_graph`, `_build_map`,
`_build_map_helper`); the paths follow keras/src/saving/saving_lib.py `_save_container_state` with
keras/src/utils/naming.py `to_snake_case`.

usage: keras_layer_order.py < config.json   (a .keras config.json, or an .h5 model_config)

Prints {"order": [layer names], "paths": {layer name: "layers/<snake_case>[_n]"}}.
"""
import collections
import json
import re
import sys


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


class Operation:
    def __init__(self, name, class_name):
        self.name = name
        self.class_name = class_name
        self._inbound_nodes = []


class Node:
    def __init__(self, operation, inputs):
        self.operation = operation
        self.input_tensors = inputs  # (operation, node_index, tensor_index) triples
        self.is_input = not inputs
        operation._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [op._inbound_nodes[node_index] for op, node_index, _ in self.input_tensors]


def _build_map(inputs, outputs):
    finished_nodes = set()
    nodes_in_progress = set()
    nodes_in_decreasing_depth = []
    operation_indices = {}
    for output in outputs:
        _build_map_helper(inputs, output, finished_nodes, nodes_in_progress, nodes_in_decreasing_depth, operation_indices)
    return nodes_in_decreasing_depth, operation_indices


def _build_map_helper(inputs, tensor, finished_nodes, nodes_in_progress, nodes_in_decreasing_depth, operation_indices):
    operation, node_index, _ = tensor
    node = operation._inbound_nodes[node_index]
    if node in finished_nodes:
        return
    if node in nodes_in_progress:
        raise ValueError(f"cycle at {operation.name}")
    if operation not in operation_indices:
        operation_indices[operation] = len(operation_indices)
    nodes_in_progress.add(node)
    if not node.is_input and tensor not in inputs:
        for t in node.input_tensors:
            _build_map_helper(inputs, t, finished_nodes, nodes_in_progress, nodes_in_decreasing_depth, operation_indices)
    finished_nodes.add(node)
    nodes_in_progress.remove(node)
    nodes_in_decreasing_depth.append(node)


def map_graph(inputs, outputs):
    nodes_in_decreasing_depth, operation_indices = _build_map(inputs, outputs)
    nodes_depths = {}
    operations_depths = {}
    for node in reversed(nodes_in_decreasing_depth):
        depth = nodes_depths.setdefault(node, 0)
        previous_depth = operations_depths.get(node.operation, 0)
        depth = max(depth, previous_depth)
        operations_depths[node.operation] = depth
        nodes_depths[node] = depth
        for node_dep in node.parent_nodes:
            previous_depth = nodes_depths.get(node_dep, 0)
            nodes_depths[node_dep] = max(depth + 1, previous_depth)
    for input_t in inputs:
        input_operation = input_t[0]
        if input_operation and input_operation not in operations_depths:
            operations_depths[input_operation] = 0
            operation_indices[input_operation] = -1
    operations_by_depth = collections.defaultdict(list)
    for operation, depth in operations_depths.items():
        operations_by_depth[depth].append(operation)
    depth_keys = list(operations_by_depth.keys())
    depth_keys.sort(reverse=True)
    operations = []
    for depth in depth_keys:
        operations_for_depth = operations_by_depth[depth]
        operations_for_depth.sort(key=lambda x: operation_indices[x])
        operations.extend(operations_for_depth)
    return operations


def inbound(node_data):
    """The (layer, node, tensor) triples a serialised node reads: Keras 3's {"args", "kwargs"} form
    with __keras_tensor__ references, or the Keras 2 list of [layer, node, tensor, kwargs]."""
    found = []

    def walk(x):
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                found.append(tuple(x["config"]["keras_history"]))
            else:
                for v in x.values():
                    walk(v)
        elif isinstance(x, list):
            if len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int) and isinstance(x[2], int):
                found.append((x[0], x[1], x[2]))
            else:
                for v in x:
                    walk(v)

    walk(node_data)
    return found


def refs(value):
    """input_layers / output_layers: one [layer, node, tensor] triple or a list of them."""
    if len(value) == 3 and isinstance(value[0], str):
        return [tuple(value)]
    return [tuple(v) for v in value]


def main():
    config = json.load(sys.stdin)["config"]
    ops = {}
    for layer in config["layers"]:
        ops[layer["name"]] = Operation(layer["name"], layer["class_name"].split(">")[-1])
    pending = [(layer["name"], n) for layer in config["layers"] for n in (layer["inbound_nodes"] or [[]])]
    # Create the nodes once their inputs exist (functional_from_config's queue).
    while pending:
        rest = []
        for name, node_data in pending:
            triples = inbound(node_data)
            if all(len(ops[t[0]]._inbound_nodes) > t[1] for t in triples):
                Node(ops[name], [(ops[t[0]], t[1], t[2]) for t in triples])
            else:
                rest.append((name, node_data))
        if len(rest) == len(pending):
            raise ValueError("nodes whose inputs never appear")
        pending = rest
    tensor = lambda t: (ops[t[0]], t[1], t[2])  # noqa: E731
    inputs = [tensor(t) for t in refs(config["input_layers"])]
    outputs = [tensor(t) for t in refs(config["output_layers"])]
    order = map_graph(inputs, outputs)
    used, paths = {}, {}
    for op in order:
        name = to_snake_case(op.class_name)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        paths[op.name] = f"layers/{name}"
    json.dump({"order": [op.name for op in order], "paths": paths}, sys.stdout)


if __name__ == "__main__":
    main()
