"""What every check gets and gives: the deployment's shared ``Context`` and a ``CheckResult``.

Apart from the checks themselves (``probes/checks.py``) so that a check which lives with its own machinery
(latency, in ``probes/latency.py``) can use them, and the check table can still name every check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from catalog.evidence import Status
from probes.client import ClaimFailed, Client, ProbeOutcome
from probes.target import ProbeTarget
from probes.workload import Workload


@dataclass
class CheckResult:
    status: Status = "pass"
    reason: str | None = None
    value: float | int | dict[str, Any] | None = None
    unit: str | None = None
    workload: dict[str, Any] | None = None
    details: dict[str, Any] | None = None
    """Shown in the summary and kept on the in-memory record; not written to the evidence file."""


@dataclass
class Context:
    """What checks of one deployment share: the client, the run's latency workload, and what earlier checks
    learned."""

    client: Client
    target: ProbeTarget
    max_model_len: int | None = None
    _models: dict[str, Any] | None = None
    _models_error: ProbeOutcome | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    workload: Workload | None = None
    """The load the latency check applies; None when the run measures no latency (``--no-latency``)."""

    async def models(self) -> dict[str, Any]:
        """``GET /models``, fetched once; a failure is remembered and raised again for later checks."""
        if self._models is None and self._models_error is None:
            try:
                self._models = await self.client.json("GET", "/models")
            except ProbeOutcome as exc:
                self._models_error = exc
        if self._models_error is not None:
            raise self._models_error
        assert self._models is not None
        return self._models

    async def model_entry(self) -> dict[str, Any] | None:
        data = (await self.models()).get("data")
        if not isinstance(data, list):
            raise ClaimFailed("GET /models: no 'data' list in the response")
        for entry in data:
            if isinstance(entry, dict) and entry.get("id") == self.target.served_name:
                max_len = entry.get("max_model_len")
                if isinstance(max_len, int) and not isinstance(max_len, bool):  # `true` is not a length
                    self.max_model_len = max_len
                return entry
        return None

    def listed(self, models: dict[str, Any]) -> list[str]:
        data = models.get("data")
        return [str(m.get("id")) for m in data if isinstance(m, dict)] if isinstance(data, list) else []


Check = Callable[[Context], Awaitable[CheckResult]]
