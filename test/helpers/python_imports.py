#!/usr/bin/env python3
"""The modules some Python code imports, read with Python's own parser (for test/unit/system-deps.test.ts).

usage: python_imports.py < job.json     job: {"sources": [{"name": ..., "code": ...}, ...]}
prints: {"stdlib": [...], "imports": [{"source", "line", "module", "optional"}, ...]}

`module` is the top-level name (`numpy` for `import numpy.linalg`). An import is optional when it sits
in a `try` that catches ImportError (or ModuleNotFoundError, or Exception), or under an `if` that
asks `find_spec` first: code that runs without the module.
"""
import ast
import json
import sys

CATCHES = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def catches_import_error(handler):
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in CATCHES for n in names)


def asks_find_spec(test):
    return any(isinstance(n, ast.Attribute) and n.attr == "find_spec" or isinstance(n, ast.Name) and n.id == "find_spec" for n in ast.walk(test))


def imports(tree, source):
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Try):
            guarded = optional or any(catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, guarded)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, optional)
            return
        if isinstance(node, ast.If) and asks_find_spec(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, optional)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append({"source": source, "line": node.lineno, "module": alias.name.split(".")[0], "optional": optional})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append({"source": source, "line": node.lineno, "module": node.module.split(".")[0], "optional": optional})
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(tree, False)
    return found


job = json.load(sys.stdin)
result = []
for s in job["sources"]:
    result.extend(imports(ast.parse(s["code"], filename=s["name"]), s["name"]))
print(json.dumps({"stdlib": sorted(sys.stdlib_module_names), "imports": result}))
