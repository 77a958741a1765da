"""Rules that span more than one entity: references, uniqueness and claims that must agree.

Each rule is a generator of `Violation`s, so one pass reports every broken rule; each violation carries
its kind, which is what the loader decides by. References are declared on the schema's fields
(`catalog.types.RefersTo`) and checked by one rule, `references_resolve`.
Rules only see entities that passed schema validation; a reference to an entity
that exists but is itself invalid is not reported twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from catalog.advice import Answer, answers
from catalog.catalog import Catalog
from catalog.claims import Capability, EndpointKind
from catalog.collections import ENTITY_KINDS
from catalog.errors import FieldPath, did_you_mean
from catalog.providers import KEYLESS_PROVIDERS, gateway_key_env, provider_of
from catalog.references import references
from catalog.schema import Recommendation, TreeNode
from catalog.types import GATEWAYS, BackendKind, DeploymentStatus, Modality, ModelKind
from catalog.vram import estimate


class ViolationKind(StrEnum):
    """What a rule found. Code that treats violations differently decides by this, never by a message's words."""

    unknown_reference = "unknown-reference"
    """An id that names no file of the folder its field refers to."""
    unknown_gateway = "unknown-gateway"
    """A gateway that site.yaml's `gateways:` does not declare."""
    unknown_node = "unknown-node"
    """An option's `next` that names no question of its own tree."""
    tree_shape = "tree-shape"
    """A tree whose root is no question, a question the root never reaches, or questions that loop."""
    inactive_advice = "inactive-advice"
    """A pick or recommendation of a deployment that is not active."""
    foreign_fleet = "foreign-fleet"
    """Advice that names another fleet's deployment."""
    second_answer = "second-answer"
    """A second, different plain answer of one fleet for one task."""
    successor_loop = "successor-loop"
    """Successors that lead back to where they started."""
    inferred_unset = "inferred-unset"
    """An `inferred:` entry for a field the file does not set."""
    claim_mismatch = "claim-mismatch"
    """A deployment claims what its model or backend cannot do."""
    gateway_alias_missing = "gateway-alias-missing"
    """A deployment routed through a gateway without the alias clients send."""
    gateway_alias_shared = "gateway-alias-shared"
    """An alias that several deployments use outside one deliberate group of one gateway."""
    gateway_fallback = "gateway-fallback"
    """A gateway fallback that names an alias the gateway does not route."""
    gateway_key = "gateway-key"
    """A routed deployment whose provider sends an API key, without naming the key's variable."""
    gateway_of_fleet = "gateway-of-fleet"
    """A deployment routed through a gateway other than its fleet's."""


#: References to other files (or to site.yaml's gateways): what is still checked on a file with schema errors.
REFERENCE_KINDS = frozenset(
    {ViolationKind.unknown_reference, ViolationKind.unknown_gateway, ViolationKind.unknown_node}
)
#: The gateway rules. Without a valid site.yaml, which declares the gateways, they are not reported: what they
#: compare against is missing, and the site's own errors say what to fix first.
GATEWAY_KINDS = frozenset(
    {
        ViolationKind.unknown_gateway,
        ViolationKind.gateway_alias_missing,
        ViolationKind.gateway_alias_shared,
        ViolationKind.gateway_fallback,
        ViolationKind.gateway_key,
        ViolationKind.gateway_of_fleet,
    }
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: what kind, where (folder, id, field path), what is wrong, and the fix."""

    kind: ViolationKind
    folder: str
    entity_id: str
    path: FieldPath
    message: str
    hint: str


@dataclass(frozen=True)
class Known:
    """Ids per folder, including files that failed validation (so they are not reported as missing)."""

    ids: dict[str, set[str]]


Rule = Callable[[Catalog, Known], Iterator[Violation]]

#: The noun of each reference target in messages ("unknown glossary term `x`").
_NOUNS = {kind.folder: kind.noun for kind in ENTITY_KINDS} | {GATEWAYS: "gateway"}


def references_resolve(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """Every field declared as a reference (`catalog.types.RefersTo`) names an entity that exists.

    Ids are looked up among every file of the folder, valid or not, so a file with schema errors of its own
    is not also reported as missing; gateways among site.yaml's `gateways:`.
    """
    gateways = catalog.site.gateways
    for folder in ("", *(kind.folder for kind in ENTITY_KINDS)):
        for entity_id, entity in catalog.entities(folder).items():
            for path, target, wanted in references(entity):
                if target == GATEWAYS:
                    if wanted not in gateways:
                        hint = did_you_mean(wanted, gateways) or "add it under `gateways:` in site.yaml"
                        yield Violation(
                            ViolationKind.unknown_gateway, folder, entity_id, path, f"unknown gateway `{wanted}`", hint
                        )
                    continue
                ids = known.ids.get(target, set())
                if wanted not in ids:
                    hint = did_you_mean(wanted, ids) or f"add `{target}/{wanted}.yaml`"
                    yield Violation(
                        ViolationKind.unknown_reference,
                        folder,
                        entity_id,
                        path,
                        f"unknown {_NOUNS[target]} `{wanted}`",
                        hint,
                    )


def gateways_have_aliases(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A deployment routed through a gateway says which alias clients send for it."""
    for dep_id, dep in catalog.deployments.items():
        if dep.gateway is not None and dep.gateway_alias is None:
            yield Violation(
                ViolationKind.gateway_alias_missing,
                "deployments",
                dep_id,
                ("gateway",),
                "a gateway is set but `gateway_alias` is missing",
                "add the alias clients send to that gateway",
            )


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
                    ViolationKind.inactive_advice,
                    "choosers",
                    cat_id,
                    ("picks", index, "deployment"),
                    f"deployment `{pick.deployment}` is {status.value}, and only active deployments can be picks",
                    "move it to `unavailable:`",
                )
    for folder, entity_id, path, rec in _recommendations(catalog):
        if rec.deployment is not None and (status := inactive(rec.deployment)):
            yield Violation(
                ViolationKind.inactive_advice,
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
                ViolationKind.tree_shape,
                "trees",
                tree_id,
                ("root",),
                f"root `{tree.root}` is not a node of this tree",
                did_you_mean(tree.root, tree.nodes) or "set `root` to the id of one of the questions under `nodes:`",
            )
            continue
        for node_id, node in tree.nodes.items():
            for index, option in enumerate(node.options):
                if option.next is not None and option.next not in tree.nodes:
                    yield Violation(
                        ViolationKind.unknown_node,
                        "trees",
                        tree_id,
                        ("nodes", node_id, "options", index, "next"),
                        f"unknown node `{option.next}`",
                        did_you_mean(option.next, tree.nodes)
                        or "point `next` at the id of a question under `nodes:`, or answer with `recommend:` instead",
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
                ViolationKind.tree_shape,
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
                ViolationKind.tree_shape,
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
                    ViolationKind.claim_mismatch,
                    *where,
                    ("endpoints", dep.endpoints.index(EndpointKind.fim)),
                    f"FIM is claimed but model `{dep.model}` is `{model.kind.value}`, not `base`",
                    "instruct models mangle FIM control tokens; serve the base model for FIM",
                )
            if EndpointKind.embeddings in dep.endpoints and model.kind is not ModelKind.embedding:
                yield Violation(
                    ViolationKind.claim_mismatch,
                    *where,
                    ("endpoints", dep.endpoints.index(EndpointKind.embeddings)),
                    f"embeddings are claimed but model `{dep.model}` is `{model.kind.value}`",
                    "serve an embedding model for `/v1/embeddings`",
                )
            if Capability.vision in dep.capabilities and Modality.image not in model.input_modalities:
                yield Violation(
                    ViolationKind.claim_mismatch,
                    *where,
                    ("capabilities", dep.capabilities.index(Capability.vision)),
                    f"vision is claimed but model `{dep.model}` does not take image input",
                    "add `image` to the model's `input_modalities`, or drop the claim",
                )
            native = model.native_context
            served = dep.serving.max_model_len
            if native is not None and served is not None and served > native:
                yield Violation(
                    ViolationKind.claim_mismatch,
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
                    ViolationKind.claim_mismatch,
                    *where,
                    ("hardware",),
                    f"the weights alone need about {weights.weights_gib:.1f} GiB but {hw.gpu_count}× "
                    f"{hw.gpu_memory_gb:g} GB holds {capacity_gib:.1f} GiB",
                    "check the GPU count, the GPU memory or the model's quantization",
                )
        vllm = backend is not None and backend.kind is BackendKind.vllm
        if vllm and Capability.tools in dep.capabilities and not dep.serving.tool_call_parser:
            yield Violation(
                ViolationKind.claim_mismatch,
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
                    ViolationKind.gateway_alias_shared,
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
                    ViolationKind.gateway_alias_shared,
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
                    ViolationKind.gateway_alias_shared,
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
                            ViolationKind.gateway_fallback,
                            "",
                            "site",
                            ("gateways", gateway_id, field, index, *path),
                            f"fallback alias `{alias}` is not routed by gateway `{gateway_id}`",
                            hint,
                        )


def gateway_entries_name_their_keys(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """A deployment the gateway routes through a provider that needs an API key names the key's variable, so
    that the export lists it and a proxy that starts can answer it."""
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
            ViolationKind.gateway_key,
            "deployments",
            dep_id,
            ("gateway_alias",),
            f"the gateway reaches `{dep.gateway_alias}` through LiteLLM's `{provider}` provider, which sends an API "
            "key, and this deployment names none: the proxy would start and then fail every request for it",
            "name the variable that holds the key in `route.api_key_env` (for a server that checks no key, any "
            "value will do) or `endpoint.api_key_env`",
        )


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
                        ViolationKind.foreign_fleet,
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
                ViolationKind.foreign_fleet,
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
                    ViolationKind.foreign_fleet,
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
                ViolationKind.gateway_of_fleet,
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
                ViolationKind.second_answer,
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
            continue  # an unknown one is reported by `references_resolve`, an invalid one by its own file
        chain = [dep_id]
        current: str | None = dep.successor
        while current is not None and current in catalog.deployments and current not in chain:
            chain.append(current)
            current = catalog.deployments[current].successor
        if current is not None and current in chain[chain.index(current) :] and dep_id in chain[chain.index(current) :]:
            loop = " -> ".join([*chain[chain.index(current) :], current])
            yield Violation(
                ViolationKind.successor_loop,
                "deployments",
                dep_id,
                ("successor",),
                f"successors go round in a circle: {loop}",
                "end the chain at a deployment without `successor:`",
            )


def inferred_fields_exist(catalog: Catalog, known: Known) -> Iterator[Violation]:
    """An `inferred:` entry must name a field the file sets, or it marks nothing."""
    for folder in (kind.folder for kind in ENTITY_KINDS if "inferred" in kind.model.model_fields):
        for entity_id, entity in catalog.entities(folder).items():
            data = entity.model_dump()
            for index, inferred in enumerate(entity.inferred):  # type: ignore[attr-defined]
                value: object = data
                for part in inferred.field.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    yield Violation(
                        ViolationKind.inferred_unset,
                        folder,
                        entity_id,
                        ("inferred", index, "field"),
                        f"`{inferred.field}` is not set in this file, so there is nothing to mark as inferred",
                        "name a field this file sets, such as `endpoint.base_url`",
                    )


RULES: tuple[Rule, ...] = (
    references_resolve,
    gateways_have_aliases,
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
