"""Content-coding negotiation and joined gzip streams (app.text.compression)."""
from __future__ import annotations

import gzip
import random

import brotli
import pytest

from app.text.compression import BLOCK_CHARS, CompressedPage, choose, cut_blocks, gzip_personalised


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip, deflate, br", "br"),
    ("gzip, deflate", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("gzip;q=0.5, br;q=0.4", "gzip"),
    ("*", "br"),
    ("*;q=0, gzip", "gzip"),
    ("identity", "identity"),
    ("", "identity"),
    (None, "identity"),
    ("gzip;q=0, br;q=0", "identity"),
    ("GZIP;Q=1", "gzip"),
    ("gzip;q=nonsense, br", "br"),
])
def test_the_coding_is_the_most_wanted_one_the_reader_accepts(header, expected):
    assert choose(header) == expected


def test_signed_in_pages_offer_gzip_only():
    assert choose("gzip, deflate, br", ("gzip",)) == "gzip"
    assert choose("br", ("gzip",)) == "identity"


def test_a_compressed_page_gives_back_the_same_text_in_every_coding_with_distinct_strong_tags():
    body = ("<p>Ünïcode text, repeated enough to compress. " * 2000).encode()
    page = CompressedPage.of(body)
    assert brotli.decompress(page.body("br")) == body
    assert gzip.decompress(page.body("gzip")) == body
    assert page.body("identity") == body
    assert len(page.body("br")) < len(body) / 20 and len(page.body("gzip")) < len(body) / 20
    assert len({page.etag("br"), page.etag("gzip"), page.etag("identity")}) == 3
    assert CompressedPage.of(body).etag("gzip") == page.etag("gzip")
    assert CompressedPage.of(body + b"!").etag("gzip") != page.etag("gzip")


def _switchy_text(count: int) -> tuple[str, list[tuple[int, int, str]]]:
    """Text with `count` switches (as shared member content has), and the edit each would take."""
    parts, switches, position = [], [], 0
    for n in range(count):
        filler = f"<p>Annotation {n} — “quoted” words, some of them repeated {'x' * (n % 300)}.</p>"
        switch = f'<a data-own="{n}" hidden>'
        parts.append(filler)
        position += len(filler)
        switches.append((position, position + len(switch), f'data-own="{n}">'))
        parts.append(switch)
        position += len(switch)
    return "".join(parts), switches


def test_a_personalised_page_joined_from_cached_blocks_is_the_page_with_its_edits():
    text, switches = _switchy_text(3000)
    blocks = cut_blocks(text, [(start, end) for start, end, _ in switches])
    assert len(blocks) > 3 and "".join(t for t in (text[b.start:b.end] for b in blocks)) == text
    # No cut falls inside a switch.
    cuts = {b.end for b in blocks}
    assert not any(start < cut < end for start, end, _ in switches for cut in cuts)
    assert all(BLOCK_CHARS <= b.end - b.start < 2 * BLOCK_CHARS for b in blocks[:-1])
    rng = random.Random(17)
    # A switch at the end of a block: the next block's cached run referred to the text it changes.
    ends_first = [max(s for s in switches if s[1] <= blocks[0].end)]
    for chosen in (ends_first, [], sorted(rng.sample(switches, 3)), switches[:1], switches[-1:],
                   sorted(rng.sample(switches, 900))):
        expected, position = [], 0
        for start, end, replacement in chosen:
            expected += [text[position:start], replacement]
            position = end
        expected.append(text[position:])
        body = gzip_personalised("<html>Dr Ünïcode", text, blocks, chosen, "</html>")
        assert gzip.decompress(body).decode() == "<html>Dr Ünïcode" + "".join(expected) + "</html>"
