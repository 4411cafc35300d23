"""The analyzer's catalogue: unknown reports 404, admin reports 403 to users, params validated alike."""

from __future__ import annotations

import pytest

from shared.problems import Problem
from shared.services.queries import REGISTRY, lookup, validate


def test_unknown_queries_are_404_and_admin_queries_403_for_users():
    with pytest.raises(Problem) as unknown:
        lookup("everything", is_admin=True)
    assert unknown.value.status == 404
    for name, query in REGISTRY.items():
        if query.admin_only:
            with pytest.raises(Problem) as refused:
                lookup(name, is_admin=False)
            assert refused.value.status == 403
        assert lookup(name, is_admin=True) is query


@pytest.mark.parametrize("name", list(REGISTRY))
def test_no_query_takes_a_user_from_its_params(name):
    fields = {f.alias or n for n, f in REGISTRY[name].params.model_fields.items()}
    assert not fields & {"user", "user_id", "oid", "sub", "users"}
    with pytest.raises(Problem) as exc:
        validate(REGISTRY[name], {"user_id": "someone-else"})
    assert exc.value.status == 422 and any(e["field"] == "user_id" for e in exc.value.extra["errors"])


def test_params_from_a_query_string_and_from_json_validate_alike():
    trend = REGISTRY["trend"]
    assert validate(trend, {"months": "3"}) == validate(trend, {"months": 3})
    period = validate(REGISTRY["category-breakdown"], {"from": "2026-01-01", "to": "2026-01-31"})
    assert period.echo() == {"from": "2026-01-01", "to": "2026-01-31"}
    with pytest.raises(Problem):
        validate(trend, ["months", 3])
