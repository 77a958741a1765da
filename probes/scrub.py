"""The one secret scrubber: every text or body the probes keep or write goes through `scrub` or `scrub_bytes`.

The client scrubs each answer as soon as it is read (`probes/client.py`), the runner each recorded reason, and
the evidence writer each file and history line before it reaches the disk (`probes/evidence.py`). A secret is
caught as sent and as a JSON string carries it (escaped quotes and backslashes, `\\u` escapes, `\\/`), so an
echo inside a JSON answer or a JSON file is caught too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

REDACTED = "[REDACTED]"
_MIN_SECRET_LEN = 4  # shorter "keys" would turn ordinary words in reasons into [REDACTED]


def _secret_forms(secret: str) -> list[str]:
    """The secret as sent, and as a JSON string would carry it (escaped), so an echo in JSON is caught."""
    escaped = json.dumps(secret)[1:-1]
    return list(dict.fromkeys([secret, escaped, escaped.replace("/", "\\/")]))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``; secrets shorter than 4 characters are left alone
    (they would match everywhere).

    Call it on the whole text, before any excerpt is cut: a cut through a secret leaves a piece that
    no longer matches.
    """
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_LEN:
            for form in _secret_forms(secret):
                text = text.replace(form, REDACTED)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """``scrub`` for a raw body, applied as soon as it is read."""
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_LEN:
            for form in _secret_forms(secret):
                data = data.replace(form.encode("utf-8"), REDACTED.encode())
    return data
