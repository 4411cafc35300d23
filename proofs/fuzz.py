"""HTTP fuzzing: schemathesis generates requests from the app's own OpenAPI document and checks every answer.

Checks on every response: no 5xx; the status code, content type and body are those the document declares for
the operation; every error is `application/problem+json`. Each operation is fuzzed with valid data and with
data the document forbids (negative), with a valid token and with none.

    python -m proofs.fuzz [--examples N]     # N cases per operation, mode and auth (default 60)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

PROBLEM = "application/problem+json"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def errors_are_problem_details(ctx, response, case) -> bool | None:  # noqa: ARG001 - a schemathesis check
    """Every 4xx/5xx is RFC 9457 problem details, whatever the document says."""
    if response.status_code >= 400:
        ctype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
        if ctype != PROBLEM:
            raise AssertionError(f"{response.status_code} answered as {ctype or 'no content type'}, not {PROBLEM}")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    errors_are_problem_details,
]


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    status: int
    message: str
    curl: str


@dataclass
class FuzzReport:
    cases: int = 0
    by_operation: dict[str, Counter] = field(default_factory=dict)  # operation -> statuses
    by_status: Counter = field(default_factory=Counter)  # (with a valid token?, status)
    findings: dict[tuple[str, str, int], list[Finding]] = field(default_factory=dict)

    @property
    def failed_cases(self) -> int:
        return sum(len(v) for v in self.findings.values())

    def summary(self) -> str:
        lines = [f"fuzz: cases={self.cases} operations={len(self.by_operation)} failures={self.failed_cases}"]
        for authed, name in ((True, "with a valid token"), (False, "without one")):
            counts = sorted((s, n) for (a, s), n in self.by_status.items() if a is authed)
            lines.append(f"  statuses {name}: " + ", ".join(f"{s}={n}" for s, n in counts))
        for op, statuses in sorted(self.by_operation.items()):
            counts = " ".join(f"{s}={n}" for s, n in sorted(statuses.items()))
            lines.append(f"  {statuses.total():5d}  {op:40s} {counts}")
        for (op, check, status), found in sorted(self.findings.items()):
            first = found[0]
            lines.append(f"FAIL {op} [{check}] status {status} x{len(found)}: {first.message[:300]}")
            lines.append(f"     {first.curl[:400]}")
        return "\n".join(lines)


def _record(report: FuzzReport, label: str, response, case, headers) -> None:
    report.cases += 1
    report.by_operation.setdefault(label, Counter())[response.status_code] += 1
    report.by_status[("Authorization" in headers, response.status_code)] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            key = (label, type(failure).__name__, response.status_code)
            curl = case.as_curl_command(headers=headers)
            report.findings.setdefault(key, []).append(
                Finding(label, key[1], response.status_code, str(failure.title) + ": " + str(failure.message), curl)
            )


def _fuzz_one(report, operation, label, mode, headers, base_url, session, examples, seed) -> None:
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        _record(report, label, response, case, headers)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    with contextlib.suppress(Unsatisfiable):  # nothing to negate: an operation with no parameters or body
        run()


def fuzz(base_url: str, *, token: str, admin_token: str, examples: int, seed: int | None = None) -> FuzzReport:
    """Fuzz every operation of the document `base_url` serves; `examples` cases per operation, mode and auth.

    Admin routes (those whose document states a 403) get `admin_token`, since a user token only ever meets their
    403; every other route gets `token`.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    report = FuzzReport()
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in MODES:
            bearer = admin_token if "403" in operation.definition.raw.get("responses", {}) else token
            for headers in ({"Authorization": f"Bearer {bearer}"}, {}):
                _fuzz_one(report, operation, label, mode, headers, base_url, session, examples, seed)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="cases per operation, mode and auth")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    from proofs.stack import local_stack, sync_analytics

    with local_stack() as (infra, server):
        sync_analytics(server)  # the reports answer from the analytics store: build it, as the processor would
        # A user of its own: whatever the fuzzer records stays out of everyone else's rows.
        fuzzer = f"fuzzer-{uuid.uuid4().hex[:8]}"
        tokens = {"token": infra.issuer.token(fuzzer), "admin_token": infra.issuer.token(fuzzer, admin=True)}
        report = fuzz(server.base_url, **tokens, examples=args.examples, seed=args.seed)
    print(report.summary())
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
