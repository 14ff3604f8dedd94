"""Re-anchoring on the hand-checked corpus: never wrong, nearly always recovered, and states as expected."""

from collections import Counter

import pytest

from bench.anchoring import run_postil
from bench.corpus import CorpusError, load_corpus, load_document

# The edit classes the issue names; each must occur in the corpus.
REQUIRED_CLASSES = {
    "typo-elsewhere", "insert-sentence-before", "insert-sentence-right-after-short-quote",
    "insert-sentence-right-before-quote", "delete-sentence-with-quote", "move-paragraph", "move-sentence",
    "synonym-inside-long-quote", "hyphen-dropped", "plural", "case-inside-quote", "punctuation-inside-quote",
    "repeated-phrase-inserted-before", "repeated-phrase-copy", "figure-percentage", "figure-decimal",
    "figure-number-words", "figure-range", "figure-unit", "figure-comparator", "figure-negation",
    "figure-separator-same-value", "figure-spelled-out-same-value", "passage-restored", "rewrite",
}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def postil(corpus):
    return run_postil(corpus)


def test_the_corpus_is_as_large_as_the_issue_asks(corpus):
    assert len(corpus) >= 4
    for document in corpus:
        assert len(document.revisions) >= 5, document.name
        assert len(document.annotations) >= 25, document.name
    classes = {c for d in corpus for r in d.revisions for c in r.classes}
    assert REQUIRED_CLASSES <= classes, sorted(REQUIRED_CLASSES - classes)


def test_every_kind_of_outcome_is_expected_somewhere(corpus):
    states = Counter(e.state for d in corpus for r in d.revisions for e in r.expected.values())

    assert {"anchored", "moved", "reworded", "changed", "orphaned"} <= set(states)


def test_postil_never_attaches_an_annotation_to_the_wrong_words(postil):
    assert postil.counts["wrong"] == 0, "\n".join(postil.misses)


def test_postil_reattaches_at_least_97_percent_of_recoverable_annotations(postil):
    assert postil.counts["correct"] / postil.recoverable >= 0.97, "\n".join(postil.misses)


def test_postil_never_attaches_a_passage_whose_figures_changed(corpus, postil):
    changed = sum(e.state == "changed" for d in corpus for r in d.revisions for e in r.expected.values())

    assert changed >= 30
    assert postil.counts["correctly orphaned"] == sum(
        not e.recoverable for d in corpus for r in d.revisions for e in r.expected.values())


def test_postil_states_match_the_hand_written_expectations(postil):
    # Anchored, moved, reworded, changed, orphaned: at most two annotation-revisions differ (an orphan a careful
    # editor would have recovered counts here too).
    assert postil.states["other"] <= 2, "\n".join(postil.misses)


def test_the_loader_refuses_an_edit_that_touches_an_unlisted_passage(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("title: t\ntext: |\n  One two three four.\nannotations:\n  x: {quote: two three}\n"
                    "revisions:\n  - edits:\n      - {class: typo, old: three, new: tree}\n", "utf-8")

    with pytest.raises(CorpusError, match="touches annotation x"):
        load_document(path)
