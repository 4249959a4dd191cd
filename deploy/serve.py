"""Start one Rasa server or one action server in the foreground, exactly as `assistant run`
does (assistant/launcher.py: same command line, environment, API and CORS settings), for
process managers and deploy/scale.sh.

    .venv/bin/python deploy/serve.py rasa      # RASA_HOST/RASA_PORT, RASA_ENDPOINTS
    .venv/bin/python deploy/serve.py actions   # ACTION_HOST/ACTION_PORT

ACTION_SERVER_URL, when set, is where the Rasa server calls its actions (for example a
local load balancer in front of several action servers); otherwise ACTION_HOST/ACTION_PORT.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.launcher import (  # noqa: E402
    action_server_command,
    latest_model,
    rasa_server_command,
    service_env,
)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("rasa", "actions"):
        print(__doc__, file=sys.stderr)
        return 2
    # .env (if any) under the process environment, so that Rasa's endpoints file sees
    # REDIS_HOST, ACTION_SERVER_URL, … from it too.
    from dotenv import dotenv_values

    for key, value in dotenv_values(ROOT / ".env").items():
        if value is not None:
            os.environ.setdefault(key, value)
    settings = load_settings()
    env = service_env(settings)
    if argv[0] == "actions":
        command = action_server_command(settings)
    else:
        model = latest_model(settings.root / "models")
        if model is None:
            print("No trained model in models/. Run 'make train'.", file=sys.stderr)
            return 2
        if os.environ.get("ACTION_SERVER_URL"):
            env["ACTION_SERVER_URL"] = os.environ["ACTION_SERVER_URL"]
        command = rasa_server_command(settings, model)
    os.chdir(settings.root)
    os.execve(command[0], command, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
