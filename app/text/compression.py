"""Compressed answers for the article page: negotiation, pre-compressed variants and assembled gzip streams.

The article page weighs hundreds of kilobytes of HTML and compresses about twentyfold, so sending
it compressed matters more than anything else for its speed; compressing it on every request
would cost more than rendering it from the cache. So:

- a page that is the same for every reader (the anonymous page) is compressed once, when it is
  cached, in each encoding (Brotli and gzip); readers whose browser accepts neither get the gzip
  variant decompressed;
- content shared by signed-in readers but personalised per reader (app.services.shared_pages.share) is
  cut into blocks, each compressed as a run of deflate blocks ending on a byte boundary (a sync
  flush) whose back-references reach only into the previous block's text (given as the
  compressor's dictionary). Runs join into one valid deflate stream wherever the text before them
  is what they were compressed after, so a reader's page is the per-request header and footer
  compressed on the spot, the cached runs of untouched blocks, and fresh runs for the few blocks
  their own switches change (and the block after each), wrapped in a gzip header and trailer
  (RFC 1952).

Pure functions of bytes and headers: no Flask, no database.
"""
from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from dataclasses import dataclass

import brotli

BROTLI, GZIP, IDENTITY = "br", "gzip", "identity"
# Brotli quality 5 compresses the page about as well as 11 at a hundredth of the time.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# A block of shared content compressed as one run: at least a window long (a run then refers back
# into the previous block only), small enough that a reader's switches dirty few bytes.
WINDOW = 32 * 1024  # deflate's window: how far back a run may refer
BLOCK_CHARS = 2 * WINDOW
# Blocks recompressed for one reader past this many use a faster level (an author of half the page).
FAST_AFTER_BLOCKS = 4
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime, unknown OS
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # a final, empty, fixed-Huffman deflate block


def accepted(header: str | None) -> dict[str, float]:
    """Return the content codings an Accept-Encoding header accepts, with their q-values (RFC 9110 12.5.3).

    `identity` is acceptable unless refused explicitly (by name or by `*;q=0` without naming it), but
    unnamed it ranks below any coding the reader does name.
    """
    if header is None:  # RFC 9110 allows any coding, but clients that say nothing seldom decode one
        return {IDENTITY: 1.0}
    weights: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        weights[name] = q
    if IDENTITY not in weights:
        weights[IDENTITY] = 0.0 if weights.get("*") == 0 else 0.001
    return weights


def choose(header: str | None, offered: tuple[str, ...] = (BROTLI, GZIP)) -> str:
    """Return the coding to answer with: the acceptable one with the highest q, ties to `offered`'s order.

    Falls back to identity (a client refusing every coding, identity included, still gets the page:
    RFC 9110 allows answering without a coding rather than 406).
    """
    weights = accepted(header)
    best, best_q = IDENTITY, 0.0
    for coding in (*offered, IDENTITY):
        q = weights[IDENTITY] if coding == IDENTITY else weights.get(coding, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    return best


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Return `data` gzipped, byte for byte the same for the same input (no timestamp)."""
    return gzip.compress(data, compresslevel=level, mtime=0)


@dataclass(frozen=True)
class CompressedPage:
    """A whole page, kept only compressed (Brotli and gzip), with a strong ETag per representation."""

    variants: dict[str, bytes]
    digest: str

    @classmethod
    def of(cls, body: bytes) -> CompressedPage:
        """Compress `body` in every coding offered."""
        return cls({BROTLI: brotli.compress(body, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT),
                    GZIP: gzip_bytes(body)}, hashlib.sha256(body).hexdigest()[:32])

    def body(self, coding: str) -> bytes:
        """Return the page in `coding` (identity is decompressed on the spot: no browser asks for it)."""
        return self.variants[coding] if coding in self.variants else gzip.decompress(self.variants[GZIP])

    def etag(self, coding: str) -> str:
        """Return the strong entity tag of the page in `coding` (unquoted)."""
        return self.digest if coding == IDENTITY else f"{self.digest}-{coding}"

    @property
    def html(self) -> str:
        """Return the page's text (for inspection: what a reader of this entry would see)."""
        return self.body(IDENTITY).decode()

    @property
    def nbytes(self) -> int:
        return sum(len(v) for v in self.variants.values()) + 200


def deflate_run(data: bytes, level: int = GZIP_LEVEL, before: bytes = b"") -> bytes:
    """Compress `data` into deflate blocks ending byte-aligned and not final, to be joined to others.

    `before` is the text the decompressor will have produced just before this run (at most the
    window's last 32 kB are used): back-references may reach into it, so the run is only valid
    after exactly those bytes.
    """
    window = before[-WINDOW:]
    compressor = (zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=window) if window
                  else zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS))
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def gzip_join(pieces: list[tuple[bytes, bytes]]) -> bytes:
    """Join (uncompressed, deflate run) pieces into one gzip member of their concatenated text."""
    crc, size, out = 0, 0, [_GZIP_HEADER]
    for raw, run in pieces:
        crc = zlib.crc32(raw, crc)
        size += len(raw)
        out.append(run)
    out.append(_FINAL_EMPTY_BLOCK)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)


@dataclass(frozen=True)
class Block:
    """A stretch of shared text ([start, end) in characters), its UTF-8 bytes and their deflate run.

    The run of every block but the first refers back into the previous block's bytes (never further:
    blocks are at least a window long), so it is valid only after that block's text unchanged.
    """

    start: int
    end: int
    raw: bytes
    run: bytes


def cut_blocks(text: str, keep_whole: list[tuple[int, int]]) -> tuple[Block, ...]:
    """Cut `text` into blocks of about BLOCK_CHARS, never inside one of the `keep_whole` spans (sorted)."""
    blocks, start, spans, previous = [], 0, iter(keep_whole), b""
    span = next(spans, None)
    while start < len(text):
        end = min(start + BLOCK_CHARS, len(text))
        while span is not None and span[1] <= end:
            span = next(spans, None)
        if span is not None and span[0] < end:
            end = span[1]  # the cut would split a switch: cut after it
        if len(text) - end < BLOCK_CHARS // 4:
            end = len(text)  # no short last block
        raw = text[start:end].encode()
        blocks.append(Block(start, end, raw, deflate_run(raw, before=previous)))
        start, previous = end, raw
    return tuple(blocks)


def gzip_personalised(head: str, text: str, blocks: tuple[Block, ...], edits: list[tuple[int, int, str]],
                      tail: str) -> bytes:
    """Return gzip of head + `text` with `edits` (sorted, within blocks) applied + tail, reusing untouched blocks.

    A block holding edits is compressed again, and so is the block after it (its run referred to
    the edited text); every other block's cached run is used as it is.
    """
    by_block: dict[int, list[tuple[int, int, str]]] = {}
    index = 0
    for edit in edits:
        while blocks[index].end <= edit[0]:
            index += 1
        by_block.setdefault(index, []).append(edit)
    level = 1 if len(by_block) > FAST_AFTER_BLOCKS else GZIP_LEVEL
    head_raw, tail_raw = head.encode(), tail.encode()
    pieces = [(head_raw, deflate_run(head_raw))]
    previous, previous_changed = b"", False
    for number, block in enumerate(blocks):
        changes = by_block.get(number)
        raw = block.raw
        if changes:
            out, position = [], block.start
            for start, end, replacement in changes:
                out.append(text[position:start])
                out.append(replacement)
                position = end
            out.append(text[position:block.end])
            raw = "".join(out).encode()
        if changes or previous_changed:
            pieces.append((raw, deflate_run(raw, level, before=previous)))
        else:
            pieces.append((raw, block.run))
        previous, previous_changed = raw, bool(changes)
    pieces.append((tail_raw, deflate_run(tail_raw)))
    return gzip_join(pieces)
