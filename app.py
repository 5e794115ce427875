"""Atlas ZMP entry point: `python app.py` (development server) or gunicorn `app:server` (make serve)."""
from dashboard import config
from dashboard.app import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=config.host(), port=config.port(), debug=config.debug())
