"""Generate a realistic synthetic catalog of N models (and N deployments) for the scaling benchmark.

Every field a real entry fills is filled here too, with values that vary per entry,
so page weight and validation cost match a real catalog of that size.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

from catalog.collections import schema_ref

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"
FAMILIES = ["Qwen3", "Llama 3.3", "Mistral", "Gemma 3", "Phi-4", "DeepSeek", "GLM-4.5", "Granite", "OLMo", "Yi"]
GPUS = ["L4", "A10G", "A100-80GB", "H100", "H200", "L40S"]
KINDS = ["instruct", "chat", "reasoning", "base", "vision-language"]
QUANTS = ["none", "awq-4bit", "nvfp4", "fp8"]
#: Task ids of the bundled catalog's tasks/ (copied into every synthetic catalog).
TASKS = ["general-chat", "reasoning", "coding", "vision", "utility"]
#: Synthetic fleets: every deployment belongs to one, and each fleet answers every task.
FLEETS = ["synth-east", "synth-west"]


def _write(path: Path, folder: str | None, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# yaml-language-server: $schema={schema_ref(folder)}\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def generate(target: Path, models: int, seed: int = 7) -> None:
    """Write a catalog with `models` models and as many deployments, plus the bundled shared files."""
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    # Shared entities (sources, hubs, glossary, backends, site) come from the bundled catalog.
    for folder in ("sources", "hubs", "glossary", "backends", "tasks"):
        shutil.copytree(BUNDLED / folder, target / folder)
    _write(
        target / "site.yaml",
        None,
        {"title": f"Synthetic catalog ({models} models)", "tagline": "Generated for the scaling benchmark."},
    )
    for order, fleet in enumerate(FLEETS):
        _write(
            target / "fleets" / f"{fleet}.yaml",
            "fleets",
            {
                "name": f"Synthetic fleet {fleet.split('-')[1]}",
                "summary": "Generated for the scaling benchmark.",
                "order": order,
            },
        )
    picks: dict[tuple[str, str], list[str]] = {(fleet, task): [] for fleet in FLEETS for task in TASKS}
    for i in range(models):
        family = FAMILIES[i % len(FAMILIES)]
        kind = KINDS[i % len(KINDS)]
        moe = i % 3 == 0
        total = round(rng.uniform(0.5, 235), 1)
        model_id = f"synth-{family.lower().replace(' ', '-').replace('.', '')}-{i:05d}"
        native = rng.choice([8192, 32768, 131072])
        _write(
            target / "models" / f"{model_id}.yaml",
            "models",
            {
                "name": f"{family} Synthetic {i}",
                "family": family,
                "vendor": f"Vendor {i % 17}",
                "kind": kind,
                "hub": {"hub": "huggingface", "repo_id": f"synthetic-org/{model_id}"},
                "license": "Apache-2.0",
                "gated": i % 5 == 0,
                "architecture": {
                    "type": "moe" if moe else "dense",
                    "total_params_b": total,
                    **({"active_params_b": round(total / 10, 1)} if moe else {}),
                    "layers": rng.choice([24, 28, 32, 48, 64, 80]),
                    "kv_heads": rng.choice([2, 4, 8]),
                    "head_dim": 128,
                },
                "input_modalities": ["text", "image"] if kind == "vision-language" else ["text"],
                "output_modalities": ["text"],
                "native_context": native,
                "quantization": QUANTS[i % len(QUANTS)],
                "description": f"Synthetic {family} model number {i}, generated to measure how the build scales. "
                "It has the same fields a real entry has, with values that vary per entry.",
                "sources": [{"source": "seed-000", "section": "Model Details"}],
            },
        )
        dep_id = f"dep-{model_id}"
        endpoints = ["completions", "fim"] if kind == "base" else ["chat", "completions", "responses"]
        capabilities = ["streaming"] if kind == "base" else ["streaming", "tools", "structured-output"]
        if kind == "vision-language":
            capabilities.append("vision")
        deployment: dict[str, object] = {
            "model": model_id,
            "fleet": FLEETS[i % len(FLEETS)],
            "backend": "vllm",
            "served_name": f"{model_id}-served",
            "gateway_alias": f"{model_id}-alias",
            "status": "active" if i % 11 else "disabled",
            "endpoint": {"base_url": f"http://10.0.{i // 250}.{i % 250}:8000/v1", "api_key_env": "VLLM_API_KEY"},
            "hardware": {"gpu": GPUS[i % len(GPUS)], "gpu_count": 1 + i % 4},
            "serving": {
                "max_model_len": min(native, 32768),
                "tool_call_parser": "hermes",
                "enable_auto_tool_choice": True,
                "engine_version": "0.11.0",
            },
            "endpoints": endpoints,
            "capabilities": capabilities,
            "summary": f"Synthetic deployment {i} of a {family} model for scaling tests.",
            "best_for": ["benchmarking the site build", "long catalogs"],
            "strengths": ["varied fields", "realistic size"],
            "tradeoffs": ["not a real model"],
            "client_warnings": [{"client": "OpenCode", "message": "synthetic entries are not callable"}],
            "recommended": {"temperature": 0.6, "top_p": 0.95, "note": "reasonable defaults"},
            "cost": {"input_usd_per_mtok": 0.5, "output_usd_per_mtok": 1.5, "gpu_usd_per_hour": 1.1},
            "slo": {"ttft_p95_ms": 250, "itl_p95_ms": 20, "e2e_p95_ms": 1500, "max_output_tokens": 128},
            "reported": [
                {
                    "claim": "eval:smoke-5",
                    "summary": "5/5 passed (74s)",
                    "source": {"source": "seed-002", "section": "Verified"},
                }
            ],
            "sources": [{"source": "seed-000"}],
        }
        if kind == "base":
            deployment["fim"] = {"prefix": "<|fim_prefix|>", "suffix": "<|fim_suffix|>", "middle": "<|fim_middle|>"}
        _write(target / "deployments" / f"{dep_id}.yaml", "deployments", deployment)
        key = (FLEETS[i % len(FLEETS)], TASKS[i % len(TASKS)])
        if deployment["status"] == "active" and len(picks[key]) < 5:
            picks[key].append(dep_id)
    for order, ((fleet, task), ids) in enumerate(picks.items()):
        if ids:
            _write(
                target / "choosers" / f"{fleet}-{task}.yaml",
                "choosers",
                {
                    "fleet": fleet,
                    "task": task,
                    "title": task.replace("-", " ").title(),
                    "order": order,
                    "picks": [{"deployment": d, "reason": "synthetic pick"} for d in ids],
                },
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--models", type=int, default=300)
    args = parser.parse_args()
    generate(args.target, args.models)


if __name__ == "__main__":
    main()
