"""The load a latency check applies: its fixed workload and the goodput sweep after it. Apart from
probes/latency.py, which runs it, so the probe context can name a workload without importing the runner."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sweep:
    """The goodput sweep: concurrency levels tried in order, stopping at the first that misses."""

    levels: tuple[int, ...] = (1, 2, 4, 8)
    requests: int = 20
    """Requests per level, at most (and no more than the workload's); a level sends at least two per
    stream, so every stream is measured twice. With 20, a 95% target tolerates one miss."""
    budget_s: float = 120.0
    """No level after the first starts once this many seconds of sweeping have passed."""

    def __post_init__(self) -> None:
        if not self.levels or min(self.levels) < 1 or list(self.levels) != sorted(set(self.levels)):
            raise ValueError(f"sweep levels must be increasing and at least 1: {self.levels}")
        if self.requests < 1 or self.budget_s <= 0:
            raise ValueError(f"a sweep needs requests and a budget: {self}")

    def requests_at(self, level: int, workload_requests: int) -> int:
        return max(min(self.requests, workload_requests), 2 * level)


@dataclass(frozen=True)
class Workload:
    """The fixed load a latency check applies, and the goodput sweep after it (None: no sweep)."""

    requests: int = 20
    prompt_tokens: int = 64
    output_tokens: int = 16
    concurrency: int = 2
    goodput: Sweep | None = field(default_factory=Sweep)

    def __post_init__(self) -> None:
        if min(self.requests, self.prompt_tokens, self.output_tokens, self.concurrency) < 1:
            raise ValueError(f"every workload number must be at least 1: {self}")

    def to_json(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "concurrency": self.concurrency,
        }
