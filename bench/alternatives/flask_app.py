"""A Flask echo app served by gunicorn: what a Python user most often deploys for this job.

Run (from the repo root, with the virtualenv bench/install makes):
    .ferrite-cache/bench-venv/bin/gunicorn --chdir bench/alternatives \
        --bind 127.0.0.1:PORT --workers W flask_app:app

GET / answers 200 with an empty body; POST / answers 200 with the request body, byte for
byte. gunicorn logs no requests unless asked to (--access-logfile).
"""

from flask import Flask, request

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def echo():
    if request.method == "POST":
        # get_data() is the raw body whatever the content type (no form parsing); bytes
        # make Flask set Content-Length.
        return request.get_data(), 200, {"Content-Type": "application/octet-stream"}
    return b"", 200
