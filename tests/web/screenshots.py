"""Regenerate docs/screenshots/ (`make screenshots`): the demo page with the chat open after
a real conversation, on a desktop (1280 × 800) and at 320 px width.

Starts the assistant on free ports (or reuses one: WEB_TEST_EXTERNAL=DIR, see
web_harness.py) and drives Debian's Chromium headless.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_harness import ROOT, STRINGS, chromium, external, running_assistant  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SHOTS = [  # file, viewport, show the end of the answer (buttons, 👍/👎) or its start
    ("desktop.png", {"width": 1280, "height": 800}, "end"),
    ("mobile-320.png", {"width": 320, "height": 640}, "start"),
]


def converse(page, show: str) -> None:
    page.get_by_role("button", name=STRINGS["launcher"]).click()
    field = page.get_by_label(STRINGS["inputLabel"])
    field.fill("jeg har gæld")
    field.press("Enter")
    page.locator(".kvc-buttons").last.get_by_role("button", name="Vil ikke sige").click()
    page.locator(".kvc-feedback").last.wait_for(timeout=30_000)
    page.wait_for_timeout(400)
    page.evaluate("""show => {
        const log = document.querySelector('.kvc-log');
        const users = log.querySelectorAll('.kvc-msg--user');
        const last = users[users.length - 1];
        log.scrollTop = show === 'end' ? log.scrollHeight : last.offsetTop - log.offsetTop - 8;
    }""", show)
    page.locator(".kvc-input").blur()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        reuse = os.environ.get("WEB_TEST_EXTERNAL")
        assistant = external(Path(reuse)) if reuse else None
        if assistant is None:
            assistant = stack.enter_context(running_assistant(tmp / "assistant"))
        for name, viewport, show in SHOTS:
            with chromium(tmp / f"profile-{name}", viewport=viewport,
                          reduced_motion="reduce") as context:
                page = context.pages[0]
                page.goto(assistant.web_url)
                page.evaluate("() => document.fonts.ready")
                converse(page, show)
                page.screenshot(path=str(OUT / name), caret="hide")
                print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
