#!/usr/bin/env python3
"""Validates JSON documents (one per line, or one whole document) against the
subset of JSON Schema that docs/inspect-schema.json uses: type, enum, required,
properties, additionalProperties, items, anyOf and local $ref. Exit 0 if all
validate; otherwise prints each violation and exits 1."""
import json
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def resolve(root, schema):
    while "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def errors(root, schema, value, where):
    schema = resolve(root, schema)
    if "anyOf" in schema:
        branches = [errors(root, s, value, where) for s in schema["anyOf"]]
        if all(branches):
            return [f"{where}: matches no alternative: " + "; ".join(b[0] for b in branches)]
        return []
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: expected an integer, got {value!r}"]
    elif kind and not isinstance(value, TYPES[kind]):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not one of {schema['enum']}"]
    found = []
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{where}: missing required {key!r}")
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                found += errors(root, props[key], item, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unexpected property {key!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(root, schema["items"], item, f"{where}[{i}]")
    return found


def main():
    schema_path, doc_path = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        schema = json.load(f)
    with open(doc_path) as f:
        text = f.read()
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    problems = []
    for n, doc in enumerate(docs):
        problems += errors(schema, schema, doc, f"doc{n}")
    for p in problems:
        print(p)
    sys.exit(1 if problems or not docs else 0)


if __name__ == "__main__":
    main()
