"""The action server: rasa-sdk's app, bound to ACTION_HOST (localhost by default).

Knowledge base, search index, topic prior and municipality matcher are loaded before the
server accepts requests, so the first person does not wait for them.

    python -m assistant.action_server
"""

from __future__ import annotations

import asyncio
import logging

from assistant.config import load_settings

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from assistant.nlu.municipality import default_matcher
    from assistant.runtime import knowledge_base

    kb = knowledge_base()
    default_matcher()
    if kb.index.topic_model is not None:
        kb.index.topic_model.predict("")  # fits the topic prior (a few seconds)
    # One search builds what the first search would otherwise build while a person waits
    # (the lemma table, the example-question index): about 4 s, longer than an action may take.
    kb.search("hjælp til gæld", k=1)
    logger.info("action server ready: %d services, %d statements", len(kb.services),
                len(kb.statements))


def main() -> None:
    from rasa_sdk.endpoint import create_app

    settings = load_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    app = create_app("actions", cors_origins=[])

    @app.before_server_start
    async def _warm(_app: object, _loop: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, warm_up)

    app.run(host=settings.action_host, port=settings.action_port, workers=1,
            access_log=False, motd=False)


if __name__ == "__main__":
    main()
