"""Atlas ZMP entry point: `python app.py` (development server) or gunicorn `app:server` (make serve)."""
from dashboard.app import main, start

app = start()   # a bad setting or data file stops it with one clear line
server = app.server

if __name__ == "__main__":
    main(app)
