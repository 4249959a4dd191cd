"""Tools for municipal staff: conversation review, statistics, NLU export, the /staff page,
test dialogues in plain Danish and `make check`.

    conversations.py   read the tracker store (SQLAlchemy Core; SQLite or PostgreSQL)
    review.py          filters and the terminal listing (`assistant review`)
    export.py          selected user messages as a Rasa NLU YAML file for annotation
    stats.py           statistics (`assistant stats`), terminal tables, PNG charts
    auth.py            password hashes, login lockout, sessions, CSRF
    page.py            the /staff pages on the web chat server
    dialogues.py       `make test-dialogues`: Rasa test stories with a Danish summary
    check.py           `make check`: every content check with a short Danish verdict
    commands.py        the `review`, `stats` and `staff` subcommands of `assistant`

Everything reads the conversations as the privacy tracker store wrote them: already
redacted. Nothing here writes to the tracker store.
"""
