"""Status badges: a distinct colour per state, readable (WCAG AA, 4.5:1) in the light and the dark scheme."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .helpers import FILTERS, open_page

pytestmark = pytest.mark.browser

STATES = [
    "verified",
    "partial",
    "failing",
    "stale",
    "reported",
    "unverified",
    "active",
    "disabled",
    "planned",
    "code-ready",
]

_MEASURE = """(states) => {
    const box = document.querySelector("article") || document.body;
    const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
        .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
    const over = (top, bottom) => { const a = top.length > 3 ? top[3] : 1; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)); };
    const page = rgb(getComputedStyle(document.body).backgroundColor);
    return states.map((state) => {
        const span = document.createElement("span");
        span.className = `mc-badge mc-badge--${state}`;
        span.textContent = state;
        box.appendChild(span);
        const style = getComputedStyle(span);
        const [color, background] = [style.color, style.backgroundColor];
        span.remove();
        const bg = over(rgb(background), page.length ? page : [255, 255, 255]);
        const fg = over(rgb(color), bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        return {state, fg: color, bg: background, contrast: (hi + 0.05) / (lo + 0.05)};
    });
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_badges_are_distinct_and_readable(page: Page, base_url: str, scheme: str) -> None:
    open_page(page, f"{base_url}catalog/", FILTERS)
    page.evaluate("(s) => document.body.setAttribute('data-md-color-scheme', s)", scheme)
    measured = page.evaluate(_MEASURE, STATES)
    weak = [f"{m['state']}: {m['contrast']:.2f} ({m['fg']} on {m['bg']})" for m in measured if m["contrast"] < 4.5]
    assert not weak, f"badges under 4.5:1 contrast in the {scheme} scheme: {weak}"
    backgrounds = [m["bg"] for m in measured]
    same = {b: [m["state"] for m in measured if m["bg"] == b] for b in backgrounds if backgrounds.count(b) > 1}
    assert not same, f"badges sharing a background colour in the {scheme} scheme: {same}"
    assert len({m["fg"] for m in measured}) == len(STATES), f"badges sharing a text colour in {scheme}: {measured}"
