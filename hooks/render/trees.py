"""Decision trees, stored once and drawn three ways: Mermaid, a nested list, and a step-through."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from catalog.catalog import Catalog
from catalog.schema import DecisionTree, Recommendation
from hooks.render.fleets import fleet_view
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def recommendation_view(catalog: Catalog, rec: Recommendation, links: Links) -> dict[str, Any]:
    """A recommendation as plain data: title, link, backend name, label and note."""
    deployment = catalog.deployments.get(rec.deployment) if rec.deployment else None
    backend_id = rec.backend or (deployment.backend if deployment else None)
    backend = catalog.backends[backend_id].name if backend_id else None
    return {
        "title": deployment.served_name if deployment else backend,
        "href": links.deployment(rec.deployment) if rec.deployment else None,
        "backend": backend,
        "label": rec.label,
        "note": rec.note,
    }


def tree_data(catalog: Catalog, tree: DecisionTree, links: Links) -> dict[str, Any]:
    """The tree as JSON-ready data for the step-through script."""
    return {
        "title": tree.title,
        "root": tree.root,
        "nodes": {
            node_id: {
                "question": node.question,
                "options": [
                    {
                        "label": option.label,
                        "next": option.next,
                        "recommend": [recommendation_view(catalog, r, links) for r in option.recommend],
                    }
                    for option in node.options
                ],
            }
            for node_id, node in tree.nodes.items()
        },
    }


def question_order(tree: DecisionTree) -> list[str]:
    """Node ids breadth-first from the root, so the outline lists each question once, in reading order."""
    order = [tree.root]
    for node_id in order:
        for option in tree.nodes[node_id].options:
            if option.next and option.next not in order:
                order.append(option.next)
    return order


def mermaid_lines(tree_data_: dict[str, Any]) -> list[str]:
    """Mermaid flowchart: question nodes, option edges, recommendation leaves.

    Drawn at its natural size (`useMaxWidth: false`) rather than shrunk to the column: on a phone a shrunk tree
    is unreadable, so the diagram's box scrolls sideways instead (catalog.css).
    """
    lines = ["---", "config: {flowchart: {useMaxWidth: false}}", "---", "flowchart TD"]
    counter = 0
    for node_id, node in tree_data_["nodes"].items():
        lines.append(f'    {_mid(node_id)}{{"{_label(node["question"])}"}}')
        for option in node["options"]:
            target = _mid(option["next"]) if option["next"] else None
            if option["recommend"]:
                counter += 1
                leaf = f"rec{counter}"
                text = "<br/>".join(_label(_rec_text(r)) for r in option["recommend"])
                lines.append(f'    {_mid(node_id)} -->|"{_label(option["label"])}"| {leaf}["{text}"]')
                if target:
                    lines.append(f"    {leaf} --> {target}")
            elif target:
                lines.append(f'    {_mid(node_id)} -->|"{_label(option["label"])}"| {target}')
    return lines


def _rec_text(rec: dict[str, Any]) -> str:
    parts = [f"{rec['backend']}: {rec['title']}" if rec["title"] != rec["backend"] else str(rec["backend"])]
    if rec["label"]:
        parts.insert(0, f"{rec['label']}:")
    if rec["note"]:
        parts.append(f"({rec['note']})")
    return " ".join(parts)


def _mid(node_id: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in node_id)


def _label(text: str) -> str:
    # Mermaid reads quotes, angle brackets, `#` (its entity codes), `&` and backticks (Markdown strings) itself;
    # entity codes keep them as text. A line break would end the statement: it becomes a space.
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in _BREAKS.sub(" ", str(text)))


_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MERMAID_ESCAPES = {char: f"#{ord(char)};" for char in '#&"<>|`'}


def render_decision_trees(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    trees = []
    for tree_id, tree in sorted(catalog.trees.items(), key=lambda item: (item[1].order, item[0])):
        data = tree_data(catalog, tree, links)
        # Safe to skip HTML escaping: labels are entity-encoded for Mermaid and sit inside a code fence.
        diagram = [Markup(line) for line in mermaid_lines(data)]
        trees.append(
            {
                "id": tree_id,
                "tree": tree,
                "data": data,
                "mermaid": diagram,
                "order": question_order(tree),
                "whose": fleet_view(ctx, links, tree.fleet),
            }
        )
    return render("decision_trees.md.j2", trees=trees)
