"""Fetching a published ECB rate file over HTTPS: a timeout, and never more than an ECB file's size read."""

from __future__ import annotations

import httpx

from shared.adapters.rates.ecb import MAX_BYTES, RateFileError

TIMEOUT_S = 30.0


class FetchError(RuntimeError):
    """The file could not be fetched: the next timer run tries again."""


def fetch_file(url: str, *, timeout_s: float = TIMEOUT_S, limit: int = MAX_BYTES) -> bytes:
    """The body at `url`; FetchError when unanswered or not 200, RateFileError when larger than `limit`."""
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise FetchError(f"{url} answered {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise RateFileError(f"{url} sent more than {limit:,} bytes; an ECB rate file has far fewer")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(f"{url} could not be fetched: {exc}") from None
    return b"".join(chunks)
