"""Anchoring: validating posted selectors and re-anchoring annotations across real article edits."""

import random

import pytest

from app.text.anchoring import (
    CONTEXT_LENGTH,
    AnchorError,
    Reanchored,
    Selector,
    Trail,
    reanchor,
    reanchor_many,
    resolve,
    selector_at,
    wording,
)

# An editorial in the house style of the demo article. Paragraphs are joined by
# one "\n", as in the canonical text. "neoadjuvant chemotherapy" occurs four
# times (lower case), "survival" twice, "TIE2" three times.
ARTICLE = "\n".join([
    "Neoadjuvant chemotherapy has changed how we treat locally advanced breast cancer. Shrinking the "
    "tumour before surgery allows breast-conserving operations in women who would otherwise need a "
    "mastectomy, and the response to treatment tells us something about tumour biology that no biopsy can.",

    "Yet a series of mouse studies has raised an uncomfortable question: can the treatment that shrinks the "
    "primary tumour also help it spread? Karagiannis and colleagues reported that paclitaxel, and doxorubicin "
    "combined with cyclophosphamide, increased the density of TMEM doorways — the sites where a macrophage, an "
    "endothelial cell and a tumour cell expressing MENA meet and cancer cells enter the blood.",

    "The finding deserves attention but not alarm. In patients, the benefit of neoadjuvant chemotherapy on "
    "breast conservation is well established, and large trials have not shown worse survival when the same "
    "drugs are given before rather than after surgery. A pathological complete response after neoadjuvant "
    "chemotherapy remains one of the strongest predictors of long-term survival.",

    "Several caveats apply. Mouse tumours grow quickly and metastasise on a timescale of weeks; human tumours "
    "are more heterogeneous, and the doses used in animals do not map cleanly onto clinical schedules. The "
    "signalling involved, in which TIE2 and VEGF-A control vascular permeability, may also behave differently "
    "when the stroma is human.",

    "What should clinicians do now? Nothing different at the bedside, for the moment. Where residual disease "
    "remains after neoadjuvant chemotherapy, however, it would be reasonable to study circulating tumour cells "
    "and to test whether TIE2 inhibitors such as rebastinib reduce dissemination. Trials of this kind are "
    "small, cheap and overdue.",

    "A note for readers of the French edition: « chimiothérapie néoadjuvante » is the accepted term, and the "
    "𝛼 chain of the integrin studied by Ménard et al. is not related to TIE2 — a confusion that has already "
    "crept into two reviews after neoadjuvant chemotherapy trials.",
])

P1, P2, P3, P4, P5, P6 = ARTICLE.split("\n")
INSERTED = "Editor's note: this article was updated in March to reflect new trial data. "


def replaced(text: str, old: str, new: str) -> str:
    """Return `text` with the single occurrence of `old` replaced, failing loudly if the fixture drifted."""
    assert text.count(old) == 1, f"fixture: {old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def nth(text: str, quote: str, n: int) -> int:
    """Return the offset of the n-th (1-based) occurrence of `quote` in `text`."""
    at = -1
    for _ in range(n):
        at = text.index(quote, at + 1)
    return at


def annotate(text: str, quote: str, n: int = 1) -> Selector:
    """Select the n-th occurrence of `quote`, as a reader would."""
    at = nth(text, quote, n)
    return selector_at(text, at, at + len(quote))


def assert_consistent(new_text: str, result: Reanchored) -> None:
    """Every non-orphan result quotes exactly what sits at its offsets, with fresh context."""
    if result.state == "orphaned":
        assert result.selector is None
        return
    sel = result.selector
    assert new_text[sel.start:sel.end] == sel.exact
    assert sel == selector_at(new_text, sel.start, sel.end)
    assert 0.0 < result.score <= 1.0


# A passage an editor might duplicate verbatim, with all the context a selector keeps.
RESIDUAL = "residual disease remains after neoadjuvant chemotherapy, however, it"
RESIDUAL_IN_CONTEXT = "".join(
    (lambda sel: (sel.prefix, sel.exact, sel.suffix))(annotate(ARTICLE, RESIDUAL)))

# A preface exactly as long as the gap between the first two "neoadjuvant chemotherapy", so that the first
# lands on the offsets the second had: position alone would pick the wrong instance.
_GAP = nth(ARTICLE, "neoadjuvant chemotherapy", 2) - nth(ARTICLE, "neoadjuvant chemotherapy", 1)
FIRST_SHIFTED_ONTO_SECOND = ("Editor's note: revised after review. " * 20)[:_GAP - 1] + "\n" + ARTICLE

P4_WITH_TYPO = replaced(P4, "heterogeneous", "heterogenous")

# Two sentences that open with the same 51 characters, so a one-word quote in the second has the same prefix as
# the same word in the first.
SAME_OPENING = replaced(replaced(
    ARTICLE, "long-term survival.", "long-term survival. A complete response after neoadjuvant chemotherapy "
    "improves survival in triple-negative disease."),
    "Trials of this kind", "A complete response after neoadjuvant chemotherapy improves breast conservation "
    "rates. Trials of this kind")

# Each edit: (old text, quote, occurrence, new text, expected state, expected quote and its occurrence in the
# new text, or None when orphaned).
EDITS = {
    "unchanged text stays anchored": (
        ARTICLE, "increased the density of TMEM doorways", 1,
        ARTICLE, "anchored", ("increased the density of TMEM doorways", 1)),
    "typo fixed inside the quote": (
        replaced(ARTICLE, "reported that paclitaxel,", "reported that paclitaxol,"),
        "reported that paclitaxol, and doxorubicin combined with cyclophosphamide", 1,
        ARTICLE, "reworded", ("reported that paclitaxel, and doxorubicin combined with cyclophosphamide", 1)),
    "typo fixed in the only word quoted, context intact": (
        replaced(ARTICLE, "such as rebastinib", "such as rebastnib"), "rebastnib", 1,
        ARTICLE, "reworded", ("rebastinib", 1)),
    "typo fixed after the quote": (
        ARTICLE, "Mouse tumours grow quickly", 1,
        replaced(ARTICLE, "cleanly onto clinical", "cleanly on to clinical"),
        "anchored", ("Mouse tumours grow quickly", 1)),
    "typo fixed right after the quote, within its context": (
        ARTICLE, "Mouse tumours grow quickly", 1,
        replaced(ARTICLE, "and metastasise on", "and metastasize on"),
        "anchored", ("Mouse tumours grow quickly", 1)),
    "typo fixed before the quote shifts it": (
        replaced(ARTICLE, "Karagiannis", "Karagianis"), "Mouse tumours grow quickly", 1,
        ARTICLE, "moved", ("Mouse tumours grow quickly", 1)),
    "sentence inserted before": (
        ARTICLE, "test whether TIE2 inhibitors such as rebastinib reduce dissemination", 1,
        replaced(ARTICLE, "The finding deserves", INSERTED + "The finding deserves"),
        "moved", ("test whether TIE2 inhibitors such as rebastinib reduce dissemination", 1)),
    "sentence inserted right before the quote": (
        ARTICLE, "Mouse tumours grow quickly and metastasise", 1,
        replaced(ARTICLE, "apply. Mouse", "apply. " + INSERTED + "Mouse"),
        "moved", ("Mouse tumours grow quickly and metastasise", 1)),
    "paragraphs reordered": (
        ARTICLE, "the doses used in animals do not map cleanly", 1,
        "\n".join([P1, P2, P5, P3, P4, P6]),
        "moved", ("the doses used in animals do not map cleanly", 1)),
    "quoted sentence moved to another paragraph": (
        ARTICLE, "Trials of this kind are small, cheap and overdue.", 1,
        "\n".join([P1 + " Trials of this kind are small, cheap and overdue.", P2, P3, P4,
                   replaced(P5, " Trials of this kind are small, cheap and overdue.", ""), P6]),
        "moved", ("Trials of this kind are small, cheap and overdue.", 1)),
    "typo fixed inside a long quote keeps its first word": (
        replaced(ARTICLE, "given before", "giveo before"),
        "the same drugs are giveo before rather than after surgery. A pathological complete response after", 1,
        ARTICLE, "reworded",
        ("the same drugs are given before rather than after surgery. A pathological complete response after", 1)),
    "whole paragraph with a typo fixed": (
        replaced(ARTICLE, P4, P4_WITH_TYPO), P4_WITH_TYPO, 1,
        ARTICLE, "reworded", (P4, 1)),
    "whole paragraph moved and its typo fixed": (
        replaced(ARTICLE, P4, P4_WITH_TYPO), P4_WITH_TYPO, 1,
        "\n".join([P1, P2, P4, P3, P5, P6]), "reworded", (P4, 1)),
    "quoted passage deleted": (
        ARTICLE, "Trials of this kind are small, cheap and overdue.", 1,
        replaced(ARTICLE, " Trials of this kind are small, cheap and overdue.", ""),
        "orphaned", None),
    "quoted passage heavily rewritten": (
        ARTICLE, "Mouse tumours grow quickly and metastasise on a timescale of weeks", 1,
        replaced(ARTICLE, "Mouse tumours grow quickly and metastasise on a timescale of weeks",
                 "In mice, cancers disseminate within days rather than over months"),
        "orphaned", None),
    "2nd of a repeated phrase stays 2nd after an insertion before it": (
        ARTICLE, "neoadjuvant chemotherapy", 2,
        replaced(ARTICLE, "The finding deserves", INSERTED + "The finding deserves"),
        "moved", ("neoadjuvant chemotherapy", 2)),
    "2nd of a repeated phrase stays 2nd when another copy is inserted before it": (
        ARTICLE, "neoadjuvant chemotherapy", 2,
        replaced(ARTICLE, "The finding deserves",
                 "Many centres now give neoadjuvant chemotherapy. The finding deserves"),
        "moved", ("neoadjuvant chemotherapy", 3)),
    "another copy landing on the old offsets is not taken for the annotated one": (
        ARTICLE, "neoadjuvant chemotherapy", 2,
        FIRST_SHIFTED_ONTO_SECOND, "moved", ("neoadjuvant chemotherapy", 2)),
    "repeated phrase whose context was rewritten is not guessed": (
        ARTICLE, "neoadjuvant chemotherapy", 2,
        replaced(ARTICLE, "A pathological complete response after neoadjuvant chemotherapy remains one of",
                 "Even so, no trial has yet randomised women to neoadjuvant chemotherapy with or without"),
        "orphaned", None),
    "repeated phrase copied elsewhere stays on the original": (
        ARTICLE, RESIDUAL, 1,
        replaced(replaced(ARTICLE, "The finding deserves", INSERTED + "The finding deserves"),
                 "Several caveats apply.", "Several caveats apply. Where residual disease remains after "
                 "neoadjuvant chemotherapy, however, it is tempting to blame the drugs."),
        "moved", (RESIDUAL, 2)),
    "repeated phrase copied with its context is not guessed": (
        ARTICLE, RESIDUAL, 1,
        replaced(replaced(ARTICLE, "The finding deserves", INSERTED + "The finding deserves"),
                 "Several caveats apply.", "Several caveats apply. " + RESIDUAL_IN_CONTEXT),
        "orphaned", None),
    "repeated phrase copied with its context keeps its unchanged offsets": (
        ARTICLE, RESIDUAL, 1,
        ARTICLE + " " + RESIDUAL_IN_CONTEXT,
        "anchored", (RESIDUAL, 1)),
    "repeated phrase copied with its context, original retouched in place, keeps its offsets": (
        ARTICLE, RESIDUAL, 1,
        replaced(ARTICLE, "it would be reasonable", "it could be reasonable") + " " + RESIDUAL_IN_CONTEXT,
        "anchored", (RESIDUAL, 1)),
    "single word deleted while another copy survives": (
        ARTICLE, "survival", 1,
        replaced(ARTICLE, "have not shown worse survival when", "have not shown harm when"),
        "orphaned", None),
    "single word deleted while a copy with the same opening words survives": (
        SAME_OPENING, "improves", 2,
        replaced(SAME_OPENING, "A complete response after neoadjuvant chemotherapy improves breast conservation "
                 "rates. ", ""),
        "orphaned", None),
    "single word deleted while other copies survive": (
        ARTICLE, "TIE2", 1,
        replaced(ARTICLE, "in which TIE2 and VEGF-A control", "in which VEGF-A controls"),
        "orphaned", None),
    "short quote with a word changed next to it": (
        ARTICLE, "VEGF-A", 1,
        replaced(ARTICLE, "TIE2 and VEGF-A", "TIE2 or VEGF-A"), "moved", ("VEGF-A", 1)),
    "a quoted word is not found again inside a longer word": (
        ARTICLE, "human", 2,
        replaced(ARTICLE, "the stroma is human", "the stroma is inhuman"), "orphaned", None),
    "a quoted word that gained a plural follows the change": (
        ARTICLE, "tumour cell", 1,
        replaced(ARTICLE, "tumour cell expressing", "tumour cells expressing"), "reworded", ("tumour cells", 1)),
    "quote at the very start, text appended": (
        ARTICLE, "Neoadjuvant chemotherapy has changed how we treat", 1,
        ARTICLE + "\nCorrection: an earlier version misnamed a trial.",
        "anchored", ("Neoadjuvant chemotherapy has changed how we treat", 1)),
    "quote at the very start, typo fixed inside": (
        replaced(ARTICLE, "Neoadjuvant chemotherapy has", "Neoadjuvent chemotherapy has"),
        "Neoadjuvent chemotherapy has changed", 1,
        ARTICLE, "reworded", ("Neoadjuvant chemotherapy has changed", 1)),
    "quote at the very end, sentence inserted before": (
        ARTICLE, "crept into two reviews after neoadjuvant chemotherapy trials.", 1,
        replaced(ARTICLE, "The finding deserves", INSERTED + "The finding deserves"),
        "moved", ("crept into two reviews after neoadjuvant chemotherapy trials.", 1)),
    "unicode before the quote shifts code point offsets": (
        ARTICLE, "studied by Ménard et al. is not related to TIE2", 1,
        replaced(ARTICLE, "the 𝛼 chain", "the 𝛼₅𝛽₁ chain"),
        "moved", ("studied by Ménard et al. is not related to TIE2", 1)),
    "unicode quote with a typo fixed": (
        replaced(ARTICLE, "« chimiothérapie", "« chimiotérapie"), "« chimiotérapie néoadjuvante »", 1,
        replaced(ARTICLE, "the 𝛼 chain", "the 𝛼₅ chain"), "reworded", ("« chimiothérapie néoadjuvante »", 1)),
    "whitespace changed inside the quote": (
        replaced(ARTICLE, "used in animals do", "used in animals  do"), "the doses used in animals  do not map", 1,
        ARTICLE, "anchored", ("the doses used in animals do not map", 1)),
    "whitespace changed before the quote": (
        replaced(ARTICLE, "Several caveats apply.", "Several  caveats apply."),
        "human tumours are more heterogeneous", 1,
        ARTICLE, "moved", ("human tumours are more heterogeneous", 1)),
    "word inserted inside the quote": (
        ARTICLE, "increased the density of TMEM doorways", 1,
        replaced(ARTICLE, "increased the density", "increased the local density"),
        "reworded", ("increased the local density of TMEM doorways", 1)),
}


@pytest.mark.parametrize(
    ("old_text", "quote", "occurrence", "new_text", "state", "expected"),
    EDITS.values(), ids=EDITS.keys(),
)
def test_reanchor_follows_real_edits(old_text, quote, occurrence, new_text, state, expected):
    result = reanchor(new_text, annotate(old_text, quote, occurrence))

    assert_consistent(new_text, result)
    assert result.state == state
    if expected is None:
        assert result.selector is None
    else:
        new_quote, new_occurrence = expected
        assert result.selector.exact == new_quote
        assert result.selector.start == nth(new_text, new_quote, new_occurrence)


def test_reanchor_many_keeps_order_and_handles_each_annotation():
    new_text = replaced(ARTICLE, " Trials of this kind are small, cheap and overdue.", "")
    selectors = [annotate(ARTICLE, "Trials of this kind"), annotate(ARTICLE, "Mouse tumours grow quickly")]

    results = reanchor_many(new_text, [Trail.of(sel) for sel in selectors])

    assert [r.state for r in results] == ["orphaned", "anchored"]


def test_reanchor_orphans_a_blank_quote():
    assert reanchor(ARTICLE, Selector(exact="  ", prefix="", suffix="", start=0, end=2)).state == "orphaned"


def _clinical_text(rng: random.Random, length: int) -> str:
    vocabulary = ("tumour", "patients", "response", "chemotherapy", "neoadjuvant", "adjuvant", "breast", "cancer",
                  "metastasis", "survival", "trial", "dose", "toxicity", "relapse", "marker", "stroma", "cells",
                  "macrophage", "vascular", "receptor", "inhibitor", "resistance", "clone", "biopsy", "surgery",
                  "cohort", "hazard", "ratio", "median", "follow-up", "of", "the", "in", "and", "after", "with",
                  "was", "were", "not", "more", "less", "than", "a", "for", "on", "by", "its", "this", "that")
    sentences = []
    while sum(len(s) + 1 for s in sentences) < length:
        words = rng.choices(vocabulary, k=rng.randint(8, 22))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)[:length]


def test_reanchor_over_a_long_article_finds_every_surviving_passage_and_nothing_else():
    # 200 annotations on a 50,000-character article. Each takes one str.find
    # scan plus, for the edited ones, two RapidFuzz partial-ratio scans with
    # short needles, so this runs in a fraction of a second (about 0.03 s when
    # written); a matcher quadratic in the text would not. Timing itself is not
    # asserted, machines vary.
    rng = random.Random(20240611)
    old_text = _clinical_text(rng, 50_000)
    word_starts = [i for i in range(1, len(old_text) - 200) if old_text[i - 1] == " "]
    selectors = []
    for start in sorted(rng.sample(word_starts, 200)):
        end = old_text.index(" ", start + 40)
        selectors.append(selector_at(old_text, start, end))

    # A preface shifts everything; every 10th quote gets a one-letter edit in its middle.
    edited = {sel.start + (sel.end - sel.start) // 2 for sel in selectors[::10]}
    new_text = "Preface added in revision 2. " + "".join(
        ("#" if i in edited else char) for i, char in enumerate(old_text))
    shift = len("Preface added in revision 2. ")

    results = reanchor_many(new_text, [Trail.of(sel) for sel in selectors])

    for sel, result in zip(selectors, results, strict=True):
        assert_consistent(new_text, result)
        if result.state != "orphaned":
            # Never somewhere else: the same range, shifted by the preface.
            assert (result.selector.start, result.selector.end) == (sel.start + shift, sel.end + shift)
    # Quotes may overlap, so a one-letter edit can touch more than one of them.
    touched = [any(sel.start <= at < sel.end for at in edited) for sel in selectors]
    # A touched quote is reworded, or changed when the "#" fell in a figure or a negation ("not", "more").
    assert [r.state for r in results] == [
        wording(sel.exact, new_text[sel.start + shift:sel.end + shift]) if hit else "moved"
        for sel, hit in zip(selectors, touched, strict=True)]


def test_reanchor_follows_sentences_inserted_anywhere_away_from_the_quotes():
    rng = random.Random(7)
    quotes = ("increased the density of TMEM doorways", "survival when the same", "neoadjuvant chemotherapy remains",
              "small, cheap and overdue", "Neoadjuvant chemotherapy has changed")
    selectors = [annotate(ARTICLE, quote) for quote in quotes]
    new_text, expected = ARTICLE, [sel.start for sel in selectors]
    for n in range(8):
        # Sentence boundaries clear of every quote and its context, so each quote keeps its exact words.
        boundaries = [i + 2 for i in range(len(new_text)) if new_text.startswith(". ", i)
                      and all(not -CONTEXT_LENGTH <= i + 2 - start <= len(q) + CONTEXT_LENGTH
                              for start, q in zip(expected, quotes, strict=True))]
        at, sentence = rng.choice(boundaries), f"Inserted remark number {n}. "
        new_text = new_text[:at] + sentence + new_text[at:]
        expected = [start + len(sentence) if start >= at else start for start in expected]

    results = reanchor_many(new_text, [Trail.of(sel) for sel in selectors])

    for sel, result, start in zip(selectors, results, expected, strict=True):
        assert_consistent(new_text, result)
        assert result.state == ("anchored" if start == sel.start else "moved")
        assert (result.selector.start, result.selector.exact) == (start, sel.exact)


# --- selector_at and resolve ---------------------------------------------------------------------------------

def test_selector_at_keeps_context_of_context_length():
    start = ARTICLE.index("TMEM doorways")
    sel = selector_at(ARTICLE, start, start + len("TMEM doorways"))

    assert sel.exact == "TMEM doorways"
    assert sel.prefix == ARTICLE[start - CONTEXT_LENGTH:start]
    assert sel.suffix == ARTICLE[sel.end:sel.end + CONTEXT_LENGTH]


def test_selector_at_clips_context_at_the_edges_of_the_text():
    sel = selector_at("short text", 0, 5)

    assert (sel.exact, sel.prefix, sel.suffix) == ("short", "", " text")


def test_selector_serialises_as_w3c_selectors():
    sel = selector_at(ARTICLE, 0, 11)

    assert sel.to_w3c() == [
        {"type": "TextQuoteSelector", "exact": "Neoadjuvant", "prefix": "", "suffix": ARTICLE[11:11 + CONTEXT_LENGTH]},
        {"type": "TextPositionSelector", "start": 0, "end": 11},
    ]


@pytest.mark.parametrize(("start", "end"), [(5, 5), (-1, 4), (0, len(ARTICLE) + 1), (9, 3), (0.5, 3), (True, 3)])
def test_selector_at_rejects_bad_ranges(start, end):
    with pytest.raises(AnchorError):
        selector_at(ARTICLE, start, end)


def test_resolve_accepts_matching_offsets_and_recomputes_context():
    start = nth(ARTICLE, "neoadjuvant chemotherapy", 3)

    sel = resolve(ARTICLE, "neoadjuvant chemotherapy", start, start + 24, prefix="forged", suffix="forged")

    assert sel == selector_at(ARTICLE, start, start + 24)


def test_resolve_recovers_offsets_that_do_not_match_by_quote():
    # A browser counting UTF-16 code units is one off after the astral "𝛼".
    start = ARTICLE.index("Ménard")

    sel = resolve(ARTICLE, "Ménard", start + 1, start + 7)

    assert (sel.start, sel.exact) == (start, "Ménard")


def test_resolve_picks_the_occurrence_whose_context_matches():
    target = selector_at(ARTICLE, nth(ARTICLE, "survival", 2), nth(ARTICLE, "survival", 2) + 8)

    sel = resolve(ARTICLE, "survival", prefix=target.prefix, suffix=target.suffix)

    assert sel == target


def test_resolve_picks_the_occurrence_nearest_the_given_offsets():
    third = nth(ARTICLE, "neoadjuvant chemotherapy", 3)

    sel = resolve(ARTICLE, "neoadjuvant chemotherapy", third + 3, third + 27)

    assert sel.start == third


def test_resolve_accepts_part_of_a_word():
    sel = resolve(ARTICLE, "adjuvant")

    assert sel.start == ARTICLE.index("Neoadjuvant") + 3


def test_resolve_without_hints_takes_the_first_occurrence():
    assert resolve(ARTICLE, "neoadjuvant chemotherapy").start == nth(ARTICLE, "neoadjuvant chemotherapy", 1)


@pytest.mark.parametrize(("exact", "start", "end", "message"), [
    ("adjuvant radiotherapy", None, None, "not found in the article: “adjuvant radiotherapy”"),
    ("", None, None, "empty"),
    (" \n ", None, None, "empty"),
    ("x" * 5001, None, None, "too long"),
    ("Neoadjuvant", 0, None, "both a start and an end"),
    ("Neoadjuvant", 11, 0, "reversed"),
    ("Neoadjuvant", -1, 10, "outside the article"),
    ("trials.", len(ARTICLE) - 7, len(ARTICLE) + 1, "outside the article"),
])
def test_resolve_rejects_selectors_that_do_not_fit(exact, start, end, message):
    with pytest.raises(AnchorError, match=message):
        resolve(ARTICLE, exact, start, end)


def test_resolve_truncates_a_long_missing_quote_in_its_message():
    with pytest.raises(AnchorError) as raised:
        resolve(ARTICLE, "This sentence is not in the article at all, however long it goes on and on.")

    assert str(raised.value).endswith("…”")
    assert len(str(raised.value)) < 140
