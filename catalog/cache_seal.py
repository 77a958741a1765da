"""Seals on cache files, so that a cache file nobody on this machine wrote is never trusted.

Caches live in the checkout (`.cache/`), where a pull request, a restored CI cache or a copied folder can put
any file. Each cache file is written as a seal followed by its payload; the seal is an HMAC-SHA256 of the
payload under a key that lives outside the checkout, in the user's own configuration folder, created on first
use with mode 0600. A file whose seal does not match (planted, tampered, truncated, from another machine or
another user) reads as absent, and the cache is rebuilt. Payloads are data formats that run nothing on load
(JSON); the one exception, Jinja's compiled templates, is read only after its seal matched.

`$CATALOG_CACHE_KEY` names the key file instead (the tests use a temporary one).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from functools import cache
from pathlib import Path

KEY_SETTING = "CATALOG_CACHE_KEY"
_SEAL_BYTES = 64  # hex of a SHA-256 HMAC
_SEPARATOR = b"\n"


def key_file() -> Path:
    setting = os.environ.get(KEY_SETTING, "")
    if setting:
        return Path(setting)
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "model-catalog-site" / "cache-key"


@cache
def _key(path: Path) -> bytes | None:
    """The key at `path`, made on first use; None where it can be neither read nor made (caches then stay off)."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    except OSError:
        return None
    if len(key) == 32:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = secrets.token_bytes(32)
        # mkstemp creates the file with mode 0600: the key is never readable by other users, not even briefly.
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as tmp:
            tmp.write(fresh)
        # A hard link appears whole or not at all, and never replaces a key another process made first: two
        # processes making the key at once both end up reading the one that won.
        try:
            os.link(tmp.name, path)
        except FileExistsError:
            pass
        finally:
            Path(tmp.name).unlink()
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii")


def seal(payload: bytes) -> bytes | None:
    """The bytes to write for `payload`, or None when no key can be had (then write nothing)."""
    key = _key(key_file())
    return None if key is None else _mac(key, payload) + _SEPARATOR + payload


def unseal(data: bytes) -> bytes | None:
    """The payload of sealed `data`, or None unless its seal was made with this machine's key."""
    key = _key(key_file())
    if key is None or len(data) <= _SEAL_BYTES or data[_SEAL_BYTES : _SEAL_BYTES + 1] != _SEPARATOR:
        return None
    payload = data[_SEAL_BYTES + 1 :]
    return payload if hmac.compare_digest(data[:_SEAL_BYTES], _mac(key, payload)) else None
