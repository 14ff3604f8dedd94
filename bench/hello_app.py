"""A bare Flask app answering "hello": the yardstick bench/speed.py serves under the same gunicorn as Postil."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
