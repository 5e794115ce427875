"""Atlas ZMP entry point: `python app.py` (development server) or gunicorn `app:server` (make serve)."""
from dashboard import config
from dashboard.app import create_app

try:
    app = create_app()
except config.ConfigError as exc:   # a bad setting: one clear line instead of a traceback
    raise SystemExit(f"Atlas ZMP cannot start: {exc}") from None
server = app.server

if __name__ == "__main__":
    app.run(host=config.host(), port=config.port(), debug=config.debug())
