"""Atlas ZMP entry point: `python app.py` (development) or gunicorn `app:server`."""
from dashboard.app import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=False)
