"""The app's functions, indexed once (the library refuses a second indexing of the same app)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.settings import Settings

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


def resolve(value: str, settings: Settings) -> str:
    """Resolve a binding value as the host does, `%Name%` anywhere, from the app settings the app runs with."""
    return _SETTING_REF.sub(lambda m: str(setting(settings, m.group(1))), value)


def setting(settings: Settings, name: str) -> object:
    """An app setting by its Azure name (`TransactionsTopic`), read from the one Settings object."""
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is not None and name in getattr(alias, "choices", [alias]):
            return getattr(settings, field_name)
    raise KeyError(f"app setting {name} is not one the app reads")
