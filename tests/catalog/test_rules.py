"""Every cross-field rule fails with its own message, at the line of the offending value."""

from __future__ import annotations

from pathlib import Path

from catalog import check_catalog


def errors(root: Path) -> list[str]:
    _catalog, found = check_catalog(root)
    return [e.format() for e in found]


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_fim_needs_a_base_model(small_catalog: Path) -> None:
    edit(small_catalog, "models/qwen2.5-coder-1.5b.yaml", "kind: base", "kind: instruct")
    assert errors(small_catalog) == [
        "cat/deployments/coder-fim.yaml:7:13: endpoints[0]: FIM is claimed but model `qwen2.5-coder-1.5b` is"
        " `instruct`, not `base` (hint: instruct models mangle FIM control tokens; serve the base model for FIM)"
    ]


def test_fim_claim_needs_its_prompt_format(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/coder-fim.yaml",
        'fim: {prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>"}\n',
        "",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-fim.yaml:2:1: <file>: `fim` is claimed in `endpoints` but the `fim` prompt format"
        " is missing (hint: add `fim:`)"
    ]


def test_tool_calling_on_vllm_needs_a_parser(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "tool_call_parser: hermes, ", "")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:11:16: capabilities[0]: tool calling on vLLM needs a tool-call parser"
        " (hint: set `serving.tool_call_parser` (e.g. `hermes`) and `enable_auto_tool_choice: true`)"
    ]


def test_served_context_within_native_context(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "max_model_len: 16384", "max_model_len: 65536")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: served context 65536 exceeds the model's"
        " native context 32768 (hint: set `max_model_len` to at most 32768)"
    ]


def test_disabled_deployment_cannot_be_a_pick(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-fim.yaml", "status: active", "status: disabled")
    assert errors(small_catalog) == [
        "cat/choosers/coding.yaml:6:6: picks[1].deployment: deployment `coder-fim` is disabled, and only active"
        " deployments can be picks (hint: move it to `unavailable:`)"
    ]


def test_planned_deployment_cannot_be_a_tree_answer(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/ollama-llama3.1-8b.yaml", "status: active", "status: planned")
    assert errors(small_catalog) == [
        "cat/choosers/chat.yaml:5:6: picks[0].deployment: deployment `ollama-llama3.1-8b` is planned, and only"
        " active deployments can be picks (hint: move it to `unavailable:`)",
        "cat/trees/use-case.yaml:12:22: nodes.use-case.options[1].recommend[0].deployment: deployment"
        " `ollama-llama3.1-8b` is planned, and only active deployments can be recommended (hint: recommend an"
        " active deployment, or set this one's status to active)",
        "cat/workloads/development.yaml:5:20: recommendations[0].deployment: deployment `ollama-llama3.1-8b` is"
        " planned, and only active deployments can be recommended (hint: recommend an active deployment, or set"
        " this one's status to active)",
    ]


def test_dangling_reference_suggests_the_closest_id(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-fim.yaml", "model: qwen2.5-coder-1.5b", "model: qwen2.5-coder-1.5")
    assert errors(small_catalog) == [
        "cat/deployments/coder-fim.yaml:2:1: model: unknown model `qwen2.5-coder-1.5`"
        " (hint: did you mean `qwen2.5-coder-1.5b`?)"
    ]


def test_unknown_backend_and_source(small_catalog: Path) -> None:
    edit(small_catalog, "migrations/scale-up.yaml", "to_backend: vllm", "to_backend: sglang")
    edit(small_catalog, "backends/vllm.yaml", "source: test-guide", "source: seed-9")
    assert errors(small_catalog) == [
        "cat/backends/vllm.yaml:11:12: sources[0].source: unknown source `seed-9` (hint: add `sources/seed-9.yaml`)",
        "cat/migrations/scale-up.yaml:5:1: to_backend: unknown backend `sglang` (hint: add `backends/sglang.yaml`)",
    ]


def test_gateway_aliases_are_unique(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-fim.yaml", "gateway_alias: coder-fim", "gateway_alias: coder-chat")
    assert errors(small_catalog) == [
        "cat/deployments/coder-fim.yaml:5:1: gateway_alias: gateway alias `coder-chat` is already used by"
        " deployment `coder-chat` (hint: aliases must be unique across the catalog; rename one)"
    ]


def test_costs_are_not_negative_and_slo_targets_positive(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "input_usd_per_mtok: 0.5", "input_usd_per_mtok: -0.5")
    edit(small_catalog, "deployments/coder-chat.yaml", "ttft_p95_ms: 250", "ttft_p95_ms: 0")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:13:8: cost.input_usd_per_mtok: must be 0 or more (hint: use 0 or more)",
        "cat/deployments/coder-chat.yaml:14:7: slo.ttft_p95_ms: must be greater than 0"
        " (hint: use a number greater than 0)",
    ]


def test_tree_nodes_must_exist_and_be_reachable(small_catalog: Path) -> None:
    edit(small_catalog, "trees/use-case.yaml", "next: concurrency", "next: concurency")
    assert errors(small_catalog) == [
        "cat/trees/use-case.yaml:10:9: nodes.use-case.options[0].next: unknown node `concurency`"
        " (hint: did you mean `concurrency`?)",
        "cat/trees/use-case.yaml:13:3: nodes.concurrency: node `concurrency` cannot be reached from the root"
        " (hint: link to it from an option, or remove it)",
    ]


def test_tree_cycles_are_reported(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "trees/use-case.yaml",
        "- label: Many\n        recommend: [{deployment: coder-chat, note: batching}]",
        "- label: Many\n        next: use-case",
    )
    assert errors(small_catalog) == [
        "cat/trees/use-case.yaml:6:3: nodes.use-case: questions loop back: use-case -> concurrency -> use-case"
        " (hint: every path must end in a recommendation)"
    ]


def test_embeddings_need_an_embedding_model(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/ollama-llama3.1-8b.yaml",
        "endpoints: [chat]",
        "endpoints: [chat, embeddings]",
    )
    assert errors(small_catalog) == [
        "cat/deployments/ollama-llama3.1-8b.yaml:7:19: endpoints[1]: embeddings are claimed but model"
        " `llama3.1-8b` is `instruct` (hint: serve an embedding model for `/v1/embeddings`)"
    ]


def test_vision_needs_image_input(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/coder-chat.yaml",
        "capabilities: [tools, streaming]",
        "capabilities: [tools, streaming, vision]",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:11:34: capabilities[2]: vision is claimed but model"
        " `qwen2.5-coder-7b-instruct-awq` does not take image input (hint: add `image` to the model's"
        " `input_modalities`, or drop the claim)"
    ]


def test_moe_needs_active_parameters(small_catalog: Path) -> None:
    edit(small_catalog, "models/qwen2.5-coder-7b-instruct-awq.yaml", "type: dense", "type: moe")
    assert errors(small_catalog) == [
        "cat/models/qwen2.5-coder-7b-instruct-awq.yaml:8:1: architecture: a `moe` architecture needs"
        " `active_params_b` (parameters used per token) (hint: add `active_params_b:`)"
    ]


def test_gpu_count_needs_a_gpu_and_is_at_least_one(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "gpu_count: 1", "gpu_count: 0")
    edit(
        small_catalog,
        "deployments/ollama-llama3.1-8b.yaml",
        "status: active",
        "status: active\nhardware: {gpu_count: 2}",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:8:21: hardware.gpu_count: must be 1 or more (hint: use 1 or more)",
        "cat/deployments/ollama-llama3.1-8b.yaml:6:1: hardware: `gpu_count` is set but `gpu` is missing"
        " (hint: name the GPU model)",
    ]


def test_weights_must_fit_the_stated_gpus(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "gpu_count: 1}", "gpu_count: 1, gpu_memory_gb: 2}")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:8:1: hardware: the weights alone need about 3.7 GiB but 1× 2 GB holds"
        " 1.9 GiB (hint: check the GPU count, the GPU memory or the model's quantization)"
    ]


def test_pick_of_unknown_deployment_in_chooser(small_catalog: Path) -> None:
    edit(small_catalog, "choosers/coding.yaml", "deployment: coder-fim,", "deployment: coder-film,")
    assert errors(small_catalog) == [
        "cat/choosers/coding.yaml:6:6: picks[1].deployment: unknown deployment `coder-film`"
        " (hint: did you mean `coder-fim`?)"
    ]


def test_gateway_must_exist_and_needs_an_alias(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "gateway: unified", "gateway: unifed")
    edit(small_catalog, "deployments/ollama-llama3.1-8b.yaml", "status: active", "status: active\ngateway: unified")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:20:1: gateway: unknown gateway `unifed` (hint: did you mean `unified`?)",
        "cat/deployments/ollama-llama3.1-8b.yaml:6:1: gateway: a gateway is set but `gateway_alias` is missing"
        " (hint: add the alias clients send to that gateway)",
    ]
