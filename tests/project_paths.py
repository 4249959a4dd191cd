"""Paths the tests share (imported by name; conftest modules are not importable reliably)."""

from __future__ import annotations

from assistant.config import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
DOMAIN_DIR = PROJECT_ROOT / "domain"
# shared/ lies beside the clone (as on CI and on the developers' machines)
SHARED = PROJECT_ROOT.parent / "shared"
SHARED_REFERENCE = SHARED / "reference"
SHARED_SEEDS = SHARED / "seeds"
SUPPORT_FACTS = SHARED_REFERENCE / "danish_support_facts.yml"
MASSIVE_FILE = SHARED_REFERENCE / "massive_da-DK_train.jsonl"
