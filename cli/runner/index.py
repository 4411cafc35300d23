"""The app's functions, indexed once (the library refuses a second indexing of the same app)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_INDEX_ATTR = "_budget_index"


@dataclass(frozen=True)
class IndexedFunction:
    name: str
    call: Callable[..., Any]
    trigger: dict[str, Any]
    retry: dict[str, Any] | None

    @property
    def kind(self) -> str:
        return self.trigger["type"]


def index(app) -> list[IndexedFunction]:
    cached = getattr(app, _INDEX_ATTR, None)
    if cached is None:
        cached = []
        for fn in app.get_functions():
            bindings = json.loads(fn.get_function_json())["bindings"]
            trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
            cached.append(
                IndexedFunction(
                    fn.get_function_name(), fn.get_user_function(), trigger, fn.get_settings_dict("retry_policy")
                )
            )
        setattr(app, _INDEX_ATTR, cached)
    return cached


_SETTING_REF = re.compile(r"%([^%]+)%")


def resolve(value: str, *, setting_name: bool = False) -> str:
    """Resolve a binding value as the host does: `%Name%` anywhere, or a bare app-setting name."""
    if setting_name:
        return os.environ.get(value, value)
    return _SETTING_REF.sub(
        lambda m: os.environ[m.group(1)] if m.group(1) in os.environ else _default(m.group(1)), value
    )


def _default(name: str) -> str:
    """Settings with defaults (topics, groups, schedule) may be absent from the environment."""
    from shared.settings import Settings

    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if alias is not None and name in getattr(alias, "choices", [alias]) and field.default is not None:
            return str(field.default)
    raise KeyError(f"app setting {name} is not set")
