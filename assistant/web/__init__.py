"""The website chat: demo page and widget assets (server.py), built by `make web`."""
