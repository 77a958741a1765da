"""Display strings for facts several pages show, so the card, tables and compare page say the same thing.

A value the sources do not state renders as "not stated", never as a guessed default.
"""

from __future__ import annotations

from catalog.schema import NO_GPU, Cost, Hardware, Model, RecommendedParams

NOT_STATED = "not stated"


def gpu_text(hardware: Hardware) -> str:
    """`1× L4`, `A10G (count not stated)`, the hardware note (e.g. CPU only), or "not stated"."""
    if hardware.gpu == NO_GPU:
        return f"none ({hardware.note})" if hardware.note else "none"
    if hardware.gpu:
        return f"{hardware.gpu_count}× {hardware.gpu}" if hardware.gpu_count else f"{hardware.gpu} (count not stated)"
    return hardware.note or NOT_STATED


def quantization_text(model: Model) -> str:
    return model.quantization.value if model.quantization else NOT_STATED


def gated_text(model: Model) -> str:
    if model.gated is None:
        return NOT_STATED
    return "yes: accept the licence and use a hub token" if model.gated else "no"


def usd(value: float) -> str:
    """A per-token price as the guides write it: `$0.5`, `$1.5`, `$5`."""
    return f"${value:g}"


def usd_per_hour(value: float) -> str:
    """An hourly GPU price as the guides write it, in dollars and cents: `$1.10/h`."""
    return f"${value:.2f}/h"


def cost_text(cost: Cost | None) -> str:
    """`$0.5 in / $1.5 out per MTok · GPU $1.10/h (illustrative)`, from whichever prices are known."""
    if cost is None:
        return NOT_STATED
    parts = []
    tokens = [
        f"{usd(value)} {side}"
        for value, side in ((cost.input_usd_per_mtok, "in"), (cost.output_usd_per_mtok, "out"))
        if value is not None
    ]
    if tokens:
        parts.append(" / ".join(tokens) + " per MTok")
    if cost.gpu_usd_per_hour is not None:
        parts.append(f"GPU {usd_per_hour(cost.gpu_usd_per_hour)}")
    basis = cost.basis.replace("-", " ")
    return f"{' · '.join(parts)} ({basis})" if parts else f"no prices ({basis})"


def recommended_text(params: RecommendedParams) -> str:
    """`temperature 0.6, top_p 0.95`; the note follows after a dash."""
    values = [
        f"{name} {value}"
        for name, value in (
            ("temperature", params.temperature),
            ("top_p", params.top_p),
            ("max_tokens", params.max_tokens),
            ("tool_choice", params.tool_choice),
        )
        if value is not None
    ]
    text = ", ".join(values)
    if params.note:
        text = f"{text} — {params.note}" if text else params.note
    return text
