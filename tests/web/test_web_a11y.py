"""axe-core (axe-playwright-python) on the demo page and the open chat: no serious or
critical WCAG violations, closed, open with a conversation, and at 320 px."""

from __future__ import annotations

from typing import Any

import pytest
from web_harness import STRINGS, Assistant

pytestmark = pytest.mark.web

AXE_OPTIONS = {"resultTypes": ["violations"]}


def serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def converse(page: Any) -> None:
    page.get_by_role("button", name=STRINGS["launcher"]).click()
    field = page.get_by_label(STRINGS["inputLabel"])
    field.fill("jeg har gæld")
    field.press("Enter")
    page.locator(".kvc-buttons").last.get_by_role("button", name="Vil ikke sige").click()
    # A full answer: links, a list, a phone number, buttons and the 👍/👎 row.
    page.locator(".kvc-feedback").last.wait_for(timeout=30_000)


@pytest.mark.parametrize("width", [1280, 320])
def test_no_serious_or_critical_axe_violations(page: Any, assistant: Assistant,
                                               width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(assistant.web_url)
    page.locator(".kvc-launcher").wait_for()
    assert serious(page) == []
    converse(page)
    assert serious(page) == []
    # The unreachable notice is a role=alert region with plain text.
    assert page.locator(".kvc [role=alert]").count() == 1


def test_landmarks_labels_and_live_log(page: Any, assistant: Assistant) -> None:
    page.goto(assistant.web_url + "kommune/halsnaes")
    page.get_by_role("button", name=STRINGS["launcher"]).click()
    log = page.get_by_role("log", name=STRINGS["logLabel"])
    assert log.get_attribute("aria-live") == "polite"
    assert page.get_by_role("region", name=STRINGS["title"]).is_visible()
    assert page.get_by_role("textbox", name=STRINGS["inputLabel"]).is_visible()
    assert page.get_by_role("button", name=STRINGS["quickExitLabel"]).is_visible()
    assert page.get_by_role("button", name=STRINGS["minimize"]).is_visible()
    assert page.get_by_role("status").count() == 1
    assert page.evaluate("() => document.documentElement.lang") == "da"
    assert page.locator(".kvc").get_attribute("lang") == "da"
