"""Rules that span more than one entity: references, uniqueness and claims that must agree.

Each rule is a generator of `Violation`s, so one pass reports every broken rule.
Rules only see entities that passed schema validation; a reference to an entity
that exists but is itself invalid is not reported twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from catalog.advice import Answer, answers
from catalog.catalog import Catalog
from catalog.claims import Capability, EndpointKind
from catalog.collections import ENTITY_KINDS
from catalog.errors import FieldPath, did_you_mean
from catalog.schema import Recommendation, SourceRef, TreeNode
from catalog.types import BackendKind, DeploymentStatus, Modality, ModelKind
from catalog.vram import estimate


@dataclass(frozen=True)
class Violation:
    folder: str
    entity_id: str
    path: FieldPath
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Known:
    """Ids per folder, including files that failed validation (so they are not reported as missing)."""

    ids: dict[str, set[str]]

    def check(self, folder: str, wanted: str, where: tuple[str, str, FieldPath], what: str) -> Iterator[Violation]:
        if wanted not in self.ids.get(folder, set()):
            hint = did_you_mean(wanted, self.ids.get(folder, set())) or f"add `{folder}/{wanted}.yaml`"
            yield Violation(*where, f"unknown {what} `{wanted}`", hint)


Rule = Callable[[Catalog, Known], Iterator[Violation]]


def _source_refs(catalog: Catalog) -> Iterator[tuple[str, str, FieldPath, SourceRef]]:
    groups = {kind.folder: catalog.entities(kind.folder) for kind in ENTITY_KINDS if kind.folder != "sources"}
    groups[""] = catalog.entities("")
    for folder, entities in groups.items():
        for entity_id, entity in entities.items():
            for index, ref in enumerate(getattr(entity, "sources", [])):
                yield folder, entity_id, ("sources", index), ref
            if folder == "deployments":
                for index, reported in enumerate(catalog.deployments[entity_id].reported):
                    yield folder, entity_id, ("reported", index, "source"), reported.source


def references_resolve(catalog: Catalog, known: Known) -> Iterator[Violation]:
    for folder, entity_id, path, ref in _source_refs(catalog):
        yield from known.check("sources", ref.source, (folder, entity_id, (*path, "source")), "source")
    for model_id, model in catalog.models.items():
        if model.hub:
            yield from known.check("hubs", model.hub.hub, ("models", model_id, ("hub", "hub")), "hub")
    for dep_id, dep in catalog.deployments.items():
        if dep.gateway is not None and dep.gateway not in catalog.site.gateways:
            hint = did_you_mean(dep.gateway, catalog.site.gateways) or "add it under `gateways:` in site.yaml"
            yield Violation("deployments", dep_id, ("gateway",), f"unknown gateway `{dep.gateway}`", hint)
        if dep.gateway is not None and dep.gateway_alias is None:
            yield Violation(
                "deployments",
                dep_id,
                ("gateway",),
                "a gateway is set but `gateway_alias` is missing",
                "add the alias clients send to that gateway",
            )
        yield from known.check("models", dep.model, ("deployments", dep_id, ("model",)), "model")
        yield from known.check("backends", dep.backend, ("deployments", dep_id, ("backend",)), "backend")
    for folder, entity_id, fleet_ref in _scoped(catalog):
        yield from known.check("fleets", fleet_ref, (folder, entity_id, ("fleet",)), "fleet")
    for cat_id, cat in catalog.choosers.items():
        yield from known.check("tasks", cat.task, ("choosers", cat_id, ("task",)), "task")
    for uc_id, uc in catalog.use_cases.items():
        if uc.task is not None:
            yield from known.check("tasks", uc.task, ("use-cases", uc_id, ("task",)), "task")
    for fleet_id, fleet in catalog.fleets.items():
        if fleet.gateway is not None and fleet.gateway not in catalog.site.gateways:
            hint = did_you_mean(fleet.gateway, catalog.site.gateways) or "add it under `gateways:` in site.yaml"
            yield Violation("fleets", fleet_id, ("gateway",), f"unknown gateway `{fleet.gateway}`", hint)
        for index, server in enumerate(fleet.servers):
            yield from known.check(
                "backends", server.backend, ("fleets", fleet_id, ("servers", index, "backend")), "backend"
            )
        for index, row in enumerate(fleet.quick_reference):
            if row.task is not None:
                yield from known.check(
                    "tasks", row.task, ("fleets", fleet_id, ("quick_reference", index, "task")), "task"
                )
        if fleet.gateway_example is not None:
            for index, dep_id in enumerate(fleet.gateway_example.deployments):
                yield from known.check(
                    "deployments", dep_id, ("fleets", fleet_id, ("gateway_example", "deployments", index)), "deployment"
                )
    for term_id, term in catalog.glossary.items():
        for index, other in enumerate(term.see_also):
            yield from known.check("glossary", other, ("glossary", term_id, ("see_also", index)), "glossary term")
    for mig_id, mig in catalog.migrations.items():
        for attr in ("from_backend", "to_backend"):
            yield from known.check("backends", getattr(mig, attr), ("migrations", mig_id, (attr,)), "backend")
    for cat_id, cat in catalog.choosers.items():
        for field_name in ("picks", "unavailable"):
            for index, pick in enumerate(getattr(cat, field_name)):
                yield from known.check(
                    "deployments",
                    pick.deployment,
                    ("choosers", cat_id, (field_name, index, "deployment")),
                    "deployment",
                )
    for folder, entity_id, path, rec in _recommendations(catalog):
        if rec.deployment is not None:
            yield from known.check(
                "deployments", rec.deployment, (folder, entity_id, (*path, "deployment")), "deployment"
            )
        if rec.backend is not None:
            yield from known.check("backends", rec.backend, (folder, entity_id, (*path, "backend")), "backend")


def _recommendations(catalog: Catalog) -> Iterator[tuple[str, str, FieldPath, Recommendation]]:
    for tree_id, tree in catalog.trees.items():
        for node_id, node in tree.nodes.items():
            for o_index, option in enumerate(node.options):
                for r_index, rec in enumerate(option.recommend):
                    yield "trees", tree_id, ("nodes", node_id, "options", o_index, "recommend", r_index), rec
    for uc_id, uc in catalog.use_cases.items():
        for index, rec in enumerate(uc.recommendations):
            yield "use-cases", uc_id, ("recommendations", index), rec
    for wl_id, wl in catalog.workloads.items():
        for index, rec in enumerate(wl.recommendations):
            yield "workloads", wl_id, ("recommendations", index), rec
    for fleet_id, fleet in catalog.fleets.items():
        for index, row in enumerate(fleet.quick_reference):
            yield "fleets", fleet_id, ("quick_reference", index, "recommendation"), row.recommendation


def recommendations_are_active(catalog: Catalog, known: Known) -> Iterator[Violation]:
    def inactive(dep_id: str) -> DeploymentStatus | None:
        dep = catalog.deployments.get(dep_id)
        return dep.status if dep is not None and dep.status is not DeploymentStatus.active else None

    for cat_id, cat in catalog.choosers.items():
        for index, pick in enumerate(cat.picks):
            if status := inactive(pick.deployment):
                yield Violation(
                    "choosers",
                    cat_id,
                    ("picks", index, "deployment"),
                    f"deployment `{pick.deployment}` is {status.value}, and only active deployments can be picks",
                    "move it to `unavailable:`",
                )
    for folder, entity_id, path, rec in _recommendations(catalog):
        if rec.deployment is not None and (status := inactive(rec.deployment)):
            yield Violation(
                folder,
                entity_id,
                (*path, "deployment"),
                f"deployment `{rec.deployment}` is {status.value}, and only active deployments can be recommended",
                "recommend an active deployment, or set this one's status to active",
            )


def tree_nodes_connect(catalog: Catalog, known: Known) -> Iterator[Violation]:
    for tree_id, tree in catalog.trees.items():
        if tree.root not in tree.nodes:
            yield Violation(
                "trees",
                tree_id,
                ("root",),
                f"root `{tree.root}` is not a node of this tree",
                did_you_mean(tree.root, tree.nodes),
            )
            continue
        for node_id, node in tree.nodes.items():
            for index, option in enumerate(node.options):
                if option.next is not None and option.next not in tree.nodes:
                    yield Violation(
                        "trees",
                        tree_id,
                        ("nodes", node_id, "options", index, "next"),
                        f"unknown node `{option.next}`",
                        did_you_mean(option.next, tree.nodes),
                    )
        seen: set[str] = set()
        stack = [tree.root]
        while stack:
            node_id = stack.pop()
            if node_id in seen or node_id not in tree.nodes:
                continue
            seen.add(node_id)
            stack.extend(o.next for o in tree.nodes[node_id].options if o.next)
        for node_id in sorted(set(tree.nodes) - seen):
            yield Violation(
                "trees",
                tree_id,
                ("nodes", node_id),
                f"node `{node_id}` cannot be reached from the root",
                "link to it from an option, or remove it",
            )
        yield from _cycles(tree_id, tree.root, tree.nodes)


def _cycles(tree_id: str, root: str, nodes: dict[str, TreeNode]) -> Iterator[Violation]:
    """A question that can be reached from itself would let a reader loop forever."""
    done: set[str] = set()

    def visit(node_id: str, path: tuple[str, ...]) -> Iterator[Violation]:
        if node_id in path:
            yield Violation(
                "trees",
                tree_id,
                ("nodes", node_id),
                f"questions loop back: {' -> '.join((*path, node_id))}",
                "every path must end in a recommendation",
            )
            return
        if node_id in done or node_id not in nodes:
            return
        for option in nodes[node_id].options:
            if option.next:
                yield from visit(option.next, (*path, node_id))
        done.add(node_id)

    yield from visit(root, ())


def claims_match_model(catalog: Catalog, known: Known) -> Iterator[Violation]:
    for dep_id, dep in catalog.deployments.items():
        model = catalog.models.get(dep.model)
        backend = catalog.backends.get(dep.backend)
        where = ("deployments", dep_id)
        if model is not None:
            if EndpointKind.fim in dep.endpoints and model.kind is not ModelKind.base:
                yield Violation(
                    *where,
                    ("endpoints", dep.endpoints.index(EndpointKind.fim)),
                    f"FIM is claimed but model `{dep.model}` is `{model.kind.value}`, not `base`",
                    "instruct models mangle FIM control tokens; serve the base model for FIM",
                )
            if EndpointKind.embeddings in dep.endpoints and model.kind is not ModelKind.embedding:
                yield Violation(
                    *where,
                    ("endpoints", dep.endpoints.index(EndpointKind.embeddings)),
                    f"embeddings are claimed but model `{dep.model}` is `{model.kind.value}`",
                    "serve an embedding model for `/v1/embeddings`",
                )
            if Capability.vision in dep.capabilities and Modality.image not in model.input_modalities:
                yield Violation(
                    *where,
                    ("capabilities", dep.capabilities.index(Capability.vision)),
                    f"vision is claimed but model `{dep.model}` does not take image input",
                    "add `image` to the model's `input_modalities`, or drop the claim",
                )
            native = model.native_context
            served = dep.serving.max_model_len
            if native is not None and served is not None and served > native:
                yield Violation(
                    *where,
                    ("serving", "max_model_len"),
                    f"served context {served} exceeds the model's native context {native}",
                    f"set `max_model_len` to at most {native}",
                )
        hw = dep.hardware
        weights = estimate(model) if model is not None else None
        if weights is not None and hw.gpu_count and hw.gpu_memory_gb:
            capacity_gib = hw.gpu_count * hw.gpu_memory_gb * 1e9 / 2**30
            if weights.weights_gib > capacity_gib:
                yield Violation(
                    *where,
                    ("hardware",),
                    f"the weights alone need about {weights.weights_gib:.1f} GiB but {hw.gpu_count}× "
                    f"{hw.gpu_memory_gb:g} GB holds {capacity_gib:.1f} GiB",
                    "check the GPU count, the GPU memory or the model's quantization",
                )
        vllm = backend is not None and backend.kind is BackendKind.vllm
        if vllm and Capability.tools in dep.capabilities and not dep.serving.tool_call_parser:
            yield Violation(
                *where,
                ("capabilities", dep.capabilities.index(Capability.tools)),
                "tool calling on vLLM needs a tool-call parser",
                "set `serving.tool_call_parser` (e.g. `hermes`) and `enable_auto_tool_choice: true`",
            )


def aliases_are_unique(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """An alias names one deployment, or one deliberate group: members of one gateway, each marked `route.group`."""
    members: dict[str, list[str]] = {}
    for dep_id, dep in catalog.deployments.items():
        if dep.gateway_alias is not None:
            members.setdefault(dep.gateway_alias, []).append(dep_id)
    for alias, dep_ids in members.items():
        if len(dep_ids) < 2:
            continue
        first = catalog.deployments[dep_ids[0]]
        for dep_id in dep_ids[1:]:
            dep = catalog.deployments[dep_id]
            if dep.gateway != first.gateway:
                yield Violation(
                    "deployments",
                    dep_id,
                    ("gateway",),
                    f"gateway alias `{alias}` is also used by deployment `{dep_ids[0]}` of gateway "
                    f"`{first.gateway or 'none'}`; all deployments that share an alias belong to one gateway",
                    "rename one alias, or route both through the same gateway",
                )
        grouped = [d for d in dep_ids if (route := catalog.deployments[d].route) is not None and route.group]
        if not grouped:
            for dep_id in dep_ids[1:]:
                yield Violation(
                    "deployments",
                    dep_id,
                    ("gateway_alias",),
                    f"gateway alias `{alias}` is already used by deployment `{dep_ids[0]}`",
                    "aliases must be unique across the catalog; rename one",
                )
            continue
        for dep_id in dep_ids:
            if dep_id not in grouped:
                yield Violation(
                    "deployments",
                    dep_id,
                    ("gateway_alias",),
                    f"gateway alias `{alias}` is a group (`route.group` on `{grouped[0]}`), but this deployment is "
                    "not marked as a member",
                    "set `route: {group: true}` here too, or rename the alias",
                )


def fallbacks_name_aliases(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A gateway's fallbacks name aliases that this gateway routes."""
    for gateway_id, gateway in catalog.site.gateways.items():
        routed = {d.gateway_alias for d in catalog.deployments.values() if d.gateway == gateway_id and d.gateway_alias}
        for field in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
            for index, fallback in enumerate(getattr(gateway, field)):
                for path, alias in [
                    (("alias",), fallback.alias),
                    *((("to", n), to) for n, to in enumerate(fallback.to)),
                ]:
                    if alias not in routed:
                        hint = did_you_mean(alias, routed) or f"route a deployment as `{alias}` through `{gateway_id}`"
                        yield Violation(
                            "",
                            "site",
                            ("gateways", gateway_id, field, index, *path),
                            f"fallback alias `{alias}` is not routed by gateway `{gateway_id}`",
                            hint,
                        )


def gateway_entries_name_their_keys(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A deployment the gateway routes through a provider that needs an API key names the key's variable, so
    that the export lists it and a proxy that starts can answer it."""
    from catalog.litellm import KEYLESS_PROVIDERS, gateway_key_env, provider_of  # the export's, defined once

    for dep_id, dep in catalog.deployments.items():
        if (
            dep.gateway_alias is None
            or dep.status is not DeploymentStatus.active
            or dep.backend not in catalog.backends
        ):
            continue
        provider = provider_of(catalog.backends[dep.backend])
        if provider in KEYLESS_PROVIDERS or gateway_key_env(dep):
            continue
        yield Violation(
            "deployments",
            dep_id,
            ("gateway_alias",),
            f"the gateway reaches `{dep.gateway_alias}` through LiteLLM's `{provider}` provider, which sends an API "
            "key, and this deployment names none: the proxy would start and then fail every request for it",
            "name the variable that holds the key in `route.api_key_env` (for a server that checks no key, any "
            "value will do) or `endpoint.api_key_env`",
        )


def _scoped(catalog: Catalog) -> Iterator[tuple[str, str, str]]:
    """(folder, id, fleet) of every entity that belongs to a fleet."""
    for folder in ("deployments", "choosers", "trees", "use-cases", "workloads", "migrations"):
        for entity_id, entity in catalog.entities(folder).items():
            yield folder, entity_id, entity.fleet  # type: ignore[attr-defined]


def advice_names_its_own_fleet(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A fleet's advice recommends that fleet's deployments: another team's server is not its answer."""

    def foreign(dep_id: str | None, fleet: str) -> str | None:
        """The other fleet a deployment belongs to; None when it is this one, or either fleet is unknown
        (an unknown fleet is reported once, by `references_resolve`)."""
        dep = catalog.deployments.get(dep_id) if dep_id else None
        if dep is None or fleet not in catalog.fleets or dep.fleet not in catalog.fleets:
            return None
        return dep.fleet if dep.fleet != fleet else None

    hint = "recommend a deployment of the same fleet, or move this advice to the other fleet"
    for cat_id, cat in catalog.choosers.items():
        for field_name in ("picks", "unavailable"):
            for index, pick in enumerate(getattr(cat, field_name)):
                if other := foreign(pick.deployment, cat.fleet):
                    yield Violation(
                        "choosers",
                        cat_id,
                        (field_name, index, "deployment"),
                        f"deployment `{pick.deployment}` belongs to fleet `{other}`, not `{cat.fleet}`",
                        hint,
                    )
    for folder, entity_id, path, rec in _recommendations(catalog):
        fleet = catalog.entities(folder)[entity_id].fleet if folder != "fleets" else entity_id  # type: ignore[attr-defined]
        if other := foreign(rec.deployment, fleet):
            yield Violation(
                folder,
                entity_id,
                (*path, "deployment"),
                f"deployment `{rec.deployment}` belongs to fleet `{other}`, not `{fleet}`",
                hint,
            )
    for fleet_id, fleet_entity in catalog.fleets.items():
        if fleet_entity.gateway_example is None:
            continue
        for index, dep_id in enumerate(fleet_entity.gateway_example.deployments):
            if other := foreign(dep_id, fleet_id):
                yield Violation(
                    "fleets",
                    fleet_id,
                    ("gateway_example", "deployments", index),
                    f"deployment `{dep_id}` belongs to fleet `{other}`, not `{fleet_id}`",
                    hint,
                )
    for dep_id, dep in catalog.deployments.items():
        fleet_gateway = catalog.fleets[dep.fleet].gateway if dep.fleet in catalog.fleets else None
        known_gateway = dep.gateway in catalog.site.gateways  # an unknown one is reported by references_resolve
        if known_gateway and fleet_gateway is not None and dep.gateway != fleet_gateway:
            yield Violation(
                "deployments",
                dep_id,
                ("gateway",),
                f"gateway `{dep.gateway}` is not the gateway of fleet `{dep.fleet}` (`{fleet_gateway}`)",
                f"route it through `{fleet_gateway}`, or move the deployment to the fleet that owns `{dep.gateway}`",
            )


def one_answer_per_task(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """Within a fleet, every plain answer for a task (first choice, no condition) names the same deployment.

    Conditional answers (`when:` on a quick-reference row, `label:` on a recommendation) and lower-ranked
    picks are alternatives and may differ. The answers are collected by `catalog.advice.answers`.
    """
    first: dict[tuple[str, str], Answer] = {}
    for answer in answers(catalog):
        if not answer.is_default:
            continue
        seen = first.setdefault((answer.fleet, answer.task), answer)
        if seen.deployment != answer.deployment:
            yield Violation(
                answer.folder,
                answer.entity_id,
                (*answer.path, "deployment"),
                f"fleet `{answer.fleet}` already answers task `{answer.task}` with `{seen.deployment}` "
                f"({seen.folder}/{seen.entity_id}); this says `{answer.deployment}`",
                "give one answer per task in a fleet, or state the condition this answer holds under "
                "(`when:` on a quick-reference row, `label:` on a recommendation)",
            )


def successors_resolve_without_cycles(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A successor is a deployment of the catalog, and following successors never comes back around."""
    for dep_id, dep in catalog.deployments.items():
        if dep.successor is None:
            continue
        if dep.successor not in catalog.deployments:
            yield from known.check("deployments", dep.successor, ("deployments", dep_id, ("successor",)), "deployment")
            continue
        chain = [dep_id]
        current: str | None = dep.successor
        while current is not None and current in catalog.deployments and current not in chain:
            chain.append(current)
            current = catalog.deployments[current].successor
        if current is not None and current in chain[chain.index(current) :] and dep_id in chain[chain.index(current) :]:
            loop = " -> ".join([*chain[chain.index(current) :], current])
            yield Violation(
                "deployments",
                dep_id,
                ("successor",),
                f"successors go round in a circle: {loop}",
                "end the chain at a deployment without `successor:`",
            )


def inferred_fields_exist(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """An `inferred:` entry must name a field the file sets, or it marks nothing."""
    for folder in ("deployments", "models"):
        for entity_id, entity in catalog.entities(folder).items():
            data = entity.model_dump()
            for index, inferred in enumerate(entity.inferred):  # type: ignore[attr-defined]
                value: object = data
                for part in inferred.field.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    yield Violation(
                        folder,
                        entity_id,
                        ("inferred", index, "field"),
                        f"`{inferred.field}` is not set in this file, so there is nothing to mark as inferred",
                        "name a field this file sets, such as `endpoint.base_url`",
                    )


RULES: tuple[Rule, ...] = (
    references_resolve,
    advice_names_its_own_fleet,
    one_answer_per_task,
    successors_resolve_without_cycles,
    inferred_fields_exist,
    recommendations_are_active,
    tree_nodes_connect,
    claims_match_model,
    aliases_are_unique,
    fallbacks_name_aliases,
    gateway_entries_name_their_keys,
)


def check_rules(catalog: Catalog, known: Known) -> list[Violation]:
    return [violation for rule in RULES for violation in rule(catalog, known)]
