"""Loading the ECB's euro reference rates: a file a person sends, or the one the timer fetches.

Rates are reference data, not a user's write: a load is applied synchronously in one transaction and answered
with what it loaded, instead of going through the transactions topic as an operation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from shared.adapters.mysql.rate_tables import RATE_DIGITS, RATE_LIMIT
from shared.adapters.rates.ecb import RateFile, RateFileError, parse
from shared.domain.rates import Rate
from shared.problems import Problem

log = logging.getLogger("budget.rates")

Fetch = Callable[[str], bytes]


class RateStore(Protocol):
    def load(self, rates: Sequence[Rate], *, source: str) -> int: ...


class Rates:
    def __init__(
        self,
        *,
        store: RateStore,
        fetch: Fetch | None = None,
        daily_url: str | None = None,
        ninety_day_url: str | None = None,
    ) -> None:
        self._store = store
        self._fetch = fetch
        self._daily_url = daily_url
        self._ninety_day_url = ninety_day_url

    def load_file(self, data: bytes, *, source: str = "upload") -> dict[str, Any]:
        """Any published ECB file, told apart by content: 422 naming line and cell when it cannot be read."""
        try:
            found = parse(data)
            _check_fits(found.rates)
        except RateFileError as exc:
            raise Problem(422, f"The rate file cannot be loaded: {exc}") from None
        self._store.load(found.rates, source=source)
        answer = _answer(found)
        log.info("loaded %(loaded)d rates from %(first_day)s to %(last_day)s", answer, extra={"source": source})
        return answer

    def load_published(self, *, past_due: bool) -> dict[str, Any]:
        """The timer's run: the daily file, or the 90-day file when a run was missed, so a gap heals itself."""
        if self._fetch is None or not self._daily_url or not self._ninety_day_url:
            raise RuntimeError("fetching rates needs a fetcher and both ECB URLs (EcbDailyUrl, Ecb90DayUrl)")
        url, source = (self._ninety_day_url, "ecb-hist") if past_due else (self._daily_url, "ecb-daily")
        data = self._fetch(url)
        try:
            return self.load_file(data, source=source)
        except Problem as exc:  # the ECB sent something unreadable: the timer's failure, retried next run
            raise RateFileError(f"{url}: {exc.detail}") from None


def _check_fits(rates: Sequence[Rate]) -> None:
    """Every rate stored exactly, never rounded by the column: at most RATE_DIGITS fraction digits."""
    for rate in rates:
        digits = -int(rate.per_euro.as_tuple().exponent)
        if digits > RATE_DIGITS or rate.per_euro >= RATE_LIMIT:
            raise RateFileError(
                f"{rate.day} {rate.currency}: {rate.per_euro} has more than {RATE_DIGITS} decimal places "
                f"or is not below {RATE_LIMIT:,}; no ECB rate is written so"
            )


def _answer(found: RateFile) -> dict[str, Any]:
    first, last = found.days()
    return {
        "loaded": len(found.rates),
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "ignored": list(found.ignored),
    }
