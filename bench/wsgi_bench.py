"""The Postil app plus a bare "hello" route, served by gunicorn for bench/throughput.py.

The hello route goes through the same app, middleware and response hooks as every page, so the
comparison measures the article page's own cost.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402

app = create_app()


@app.route("/_bench/hello")
def hello():
    return "hello"
