"""Reading pycep's JSON of a Bicep template (the `bicep` fixture in conftest.py gives it)."""

from __future__ import annotations

import json


def variable(template: dict, name: str):
    """A variable's value as pycep gives it; object keys, nested ones too, lose the quotes Bicep needs for dotted
    names."""
    return _unquoted(template["variables"][name]["value"])


def _unquoted(value):
    if isinstance(value, dict):
        return {k.strip("'"): _unquoted(v) for k, v in value.items()}
    return value


def resource(template: dict, name: str) -> dict:
    """A resource's body, the loop's inner body for a `[for ...]` resource."""
    config = template["resources"][name]["config"]
    return config["config"] if "loop_type" in config else config


def accessor(value) -> tuple[str, ...]:
    """`a.b.c` as pycep nests it, flattened to ("a", "b", "c")."""
    if isinstance(value, str):
        return (value,)
    operands = value["operator"]["operands"]
    return (*accessor(operands["operand_1"]), *accessor(operands["operand_2"]))


def expr(value) -> str:
    """An expression as pycep nests it, written back as Bicep-like text: `a.b`, `a[i]`, `f(x, y)`, `c ? t : f`.

    pycep gives names and string literals alike as plain strings, so `indexOf(services, storage)` may name a
    variable or the literal 'storage'; the tests compare the shape, which is what drifts.
    """
    if not isinstance(value, dict):
        return json.dumps(value) if isinstance(value, (list, bool, int)) else str(value)
    if "operator" in value:
        kind, operands = value["operator"]["type"], value["operator"]["operands"]
        if kind == "property_accessor":
            return f"{expr(operands['operand_1'])}.{expr(operands['operand_2'])}"
        if kind == "index_accessor":
            return f"{expr(operands['operand_1'])}[{expr(operands['operand_2'])}]"
        if kind == "conditional":
            return f"{expr(operands['condition'])} ? {expr(operands['true_value'])} : {expr(operands['false_value'])}"
        return f"{kind}({', '.join(expr(v) for v in operands.values())})"
    if "function" in value:
        name = value["function"]["type"]
        camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
        arguments = [expr(v) for v in value["function"]["parameters"].values() if v is not None]
        return f"{camel}({', '.join(arguments)})"
    return json.dumps(value)
