"""The XSS corpus in tests/data/xss_vectors.txt, decoded (see the file's header for its escapes)."""
from __future__ import annotations

import re
from pathlib import Path

VECTORS_PATH = Path(__file__).resolve().parent / "data" / "xss_vectors.txt"
_ESCAPE_RE = re.compile(r"\\(n|r|t|0|u[0-9a-fA-F]{4})")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


def decode_escapes(line: str) -> str:
    """Turn the corpus escapes (\\n, \\t, \\uXXXX, ...) into real characters."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        return _ESCAPES.get(code) or chr(int(code[1:], 16))

    return _ESCAPE_RE.sub(replace, line)


def load_vectors() -> list[tuple[int, str]]:
    """Return (line number, decoded vector) for every vector in the corpus."""
    lines = VECTORS_PATH.read_text(encoding="utf-8").splitlines()
    return [(number, decode_escapes(line)) for number, line in enumerate(lines, start=1)
            if line.strip() and not line.startswith("#")]
