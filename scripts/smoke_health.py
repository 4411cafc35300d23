"""Wait for a health URL to answer 200, so a deploy is judged on the new code actually serving."""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request


def wait_healthy(url: str, *, attempts: int, delay: float, timeout: float) -> bool:
    """GET url until it answers 200; a cold container takes a while after a restart."""
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a URL the pipeline builds, https
                if response.status == 200:
                    print(f"healthy: {url}")
                    return True
                status = str(response.status)
        except urllib.error.HTTPError as error:
            status = str(error.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            status = type(error).__name__
        print(f"attempt {attempt}/{attempts}: {url} -> {status}", file=sys.stderr)
        if attempt < attempts:
            time.sleep(delay)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--attempts", type=int, default=30)
    parser.add_argument("--delay", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    ok = wait_healthy(
        args.url,
        attempts=args.attempts,
        delay=args.delay,
        timeout=args.timeout,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
