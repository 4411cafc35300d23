"""Reading pycep's JSON of a Bicep template (the `bicep` fixture in conftest.py gives it)."""

from __future__ import annotations


def variable(template: dict, name: str):
    """A variable's value as pycep gives it; object keys lose the quotes Bicep needs for dotted names."""
    value = template["variables"][name]["value"]
    if isinstance(value, dict):
        return {k.strip("'"): v for k, v in value.items()}
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
