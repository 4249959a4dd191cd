"""Process-wide knowledge-base snapshot for the action server, created on first use.

Nothing happens at import time. Tests call :func:`use_knowledge_base` with a snapshot of a
temporary database.
"""

from __future__ import annotations

import threading

from assistant.config import load_settings
from assistant.kb.db import make_engine
from assistant.kb.repository import KnowledgeBase

_lock = threading.Lock()
_kb: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    global _kb
    if _kb is None:
        with _lock:
            if _kb is None:
                engine = make_engine(load_settings().database_url)
                try:
                    _kb = KnowledgeBase.from_engine(engine)
                finally:
                    engine.dispose()
    return _kb


def use_knowledge_base(kb: KnowledgeBase | None) -> None:
    """Replace the snapshot (tests; reload after `assistant kb load`)."""
    global _kb
    with _lock:
        _kb = kb
