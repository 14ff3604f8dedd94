"""Find the sentences of an article that cite studies: the claims a reader weighs against the evidence.

A citation marker (``data-cite`` in the rendered HTML) belongs to the sentence it closes
("…formation?[1]") or, when it sits inside a sentence, to that sentence. The sentence is cut from the
canonical text of the block around the marker, so its offsets can be compared with annotations'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.text.dom import parse_events

__all__ = ["CitingSentence", "citing_sentences"]

_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019)\]]*\s+")
_CLOSERS = (".", "!", "?", ".\u201d", "?\u201d", '."', ".)")
# A full stop after these does not end a sentence ("Dr. Chabner", "Karagiannis et al. showed").
_ABBREVIATION = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|vs|al|Fig|No|approx|ca|cf|e\.g|i\.e)|\b[A-Z])\.$")


def _breaks(text: str, start: int = 0, end: int | None = None):
    """Yield the sentence breaks of `text`, skipping full stops after abbreviations and initials."""
    for match in _SENTENCE_END.finditer(text, start, len(text) if end is None else end):
        if not _ABBREVIATION.search(text, max(0, match.start() - 8), match.start() + 1):
            yield match


@dataclass
class CitingSentence:
    """A sentence citing one or more studies: its canonical offsets, text, keys and marker anchors in order."""

    start: int
    end: int
    text: str
    keys: list[str] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)  # key -> id of its first marker in the sentence


def _sentence_span(block: str, offset: int) -> tuple[int, int]:
    before = block[:offset]
    trimmed = before.rstrip()
    closes_sentence = trimmed.endswith(_CLOSERS)
    # Look for the sentence break before the one the marker belongs to.
    search_in = trimmed[:-1] if closes_sentence else trimmed
    starts = [m.end() for m in _breaks(search_in)]
    start = starts[-1] if starts else 0
    if closes_sentence:
        end = len(trimmed)
    else:
        following = next(_breaks(block, offset), None)
        end = following.start() + 1 if following else len(block)
    while start < end and block[start].isspace():
        start += 1
    return start, end


def citing_sentences(html: str, text: str) -> list[CitingSentence]:
    """Return the sentences of an article that carry citation markers, in reading order.

    `html` is the rendered article body and `text` its canonical text. Other citation numbers in a
    sentence are canonical text too ("formation?1") and stay in its text.
    """
    events, _ = parse_events(html)
    block_start = 0
    block_end_of: dict[int, int] = {}
    open_blocks: list[int] = []
    markers: list[tuple[int, int, str, str]] = []  # (block start, marker offset, key, anchor id)
    for event in events:
        if event.kind == "start" and event.depth == 0 and "data-block" in event.attrs and not event.void:
            open_blocks.append(event.offset)
            block_start = event.offset
        elif event.kind == "end" and event.depth == 0 and open_blocks:
            block_end_of[open_blocks.pop()] = event.offset
        elif event.kind == "start" and event.canonical and event.attrs.get("data-cite") and event.tag == "a":
            markers.append((block_start, event.offset, event.attrs["data-cite"] or "", event.attrs.get("id") or ""))
    sentences: dict[tuple[int, int], CitingSentence] = {}
    for block, offset, key, anchor in markers:
        end_of_block = block_end_of.get(block, len(text))
        start, end = _sentence_span(text[block:end_of_block], offset - block)
        span = (block + start, block + end)
        sentence = sentences.get(span)
        if sentence is None:
            sentence = sentences[span] = CitingSentence(span[0], span[1], " ".join(text[span[0]:span[1]].split()))
        if key not in sentence.keys:
            sentence.keys.append(key)
            sentence.anchors[key] = anchor
    return sorted(sentences.values(), key=lambda s: s.start)


_CITE_GROUP = re.compile(r'<sup class="cite[^"]*">.*?</sup>', re.DOTALL)
_MARKER = re.compile(r'<a href="#ref-(\d+)" id="cite-\d+-\d+" data-cite="([^"]*)"')


def mark_citations(html: str, described_by: dict[str, str], badges: dict[str, str]) -> str:
    """Point each citation marker at its tooltip and put a notice badge after markers of noticed studies.

    `described_by` maps a citation key to the id of the element describing it (``aria-describedby``);
    `badges` maps a key to the ready HTML of its badge, which must carry ``data-nc`` so the canonical
    text is unchanged. Expects the markers as app.text.markdown renders them.
    """
    def one_group(group: re.Match) -> str:
        keys: list[str] = []

        def one_marker(marker: re.Match) -> str:
            key = marker.group(2)
            keys.append(key)
            target = described_by.get(key)
            return marker.group(0) + (f' aria-describedby="{target}"' if target else "")

        marked = _MARKER.sub(one_marker, group.group(0))
        return marked + "".join(badges[key] for key in dict.fromkeys(keys) if key in badges)

    return _CITE_GROUP.sub(one_group, html)
