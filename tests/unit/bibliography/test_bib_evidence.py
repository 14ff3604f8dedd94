"""Tests for study designs, CEBM levels and reading designs from text."""

import pytest

from app.bibliography.errors import InvalidRecord
from app.bibliography.evidence import (
    DESIGNS,
    EVIDENCE_LEVELS,
    design_from_text,
    infer_design,
    population_from_note,
    suggest_level,
)


def test_designs_are_listed_strongest_first_with_their_labels():
    assert list(DESIGNS) == [
        "systematic_review",
        "rct",
        "cohort",
        "case_control",
        "case_series",
        "animal",
        "in_vitro",
        "opinion",
        "guideline",
        "other",
    ]
    assert DESIGNS["rct"] == "Randomised controlled trial"
    assert DESIGNS["opinion"] == "Editorial / commentary / opinion"


def test_evidence_levels_run_from_one_to_five():
    assert list(EVIDENCE_LEVELS) == [1, 2, 3, 4, 5]
    assert "randomised" in EVIDENCE_LEVELS[1].lower()
    assert "mechanism" in EVIDENCE_LEVELS[5].lower()


@pytest.mark.parametrize(
    ("design", "level"),
    [
        ("systematic_review", 1),
        ("rct", 2),
        ("cohort", 3),
        ("case_control", 4),
        ("case_series", 4),
        ("animal", 5),
        ("in_vitro", 5),
        ("opinion", 5),
        ("guideline", None),
        ("other", None),
        (None, None),
    ],
)
def test_suggested_level_follows_cebm_2011(design, level):
    assert suggest_level(design) == level


def test_suggesting_a_level_for_an_unknown_design_is_an_error():
    with pytest.raises(InvalidRecord, match="design 'anecdote'"):
        suggest_level("anecdote")


@pytest.mark.parametrize(
    ("text", "design"),
    [
        ("Randomized Controlled Trial", "rct"),
        ("Meta-Analysis", "systematic_review"),
        ("Systematic Review", "systematic_review"),
        ("Review", "other"),
        ("Case Reports", "case_series"),
        ("Editorial", "opinion"),
        ("Comment", "opinion"),
        ("Letter", "opinion"),
        ("eLetter", "opinion"),
        ("commentary", "opinion"),
        ("Practice Guideline", "guideline"),
        ("Observational Study", "cohort"),
        ("Retracted Publication", None),
        ("Journal Article", None),
        ("a non-randomised controlled study", "cohort"),
        ("nested case-control study", "case_control"),
        ("systematic review of randomised trials", "systematic_review"),
        ("in vitro study of MDA-MB-231 cell lines", "in_vitro"),
        (
            "study_type: animal model (murine breast cancer models, with tissue from 20 "
            "patients treated with neoadjuvant chemotherapy)",
            "animal",
        ),
        ("study_type: editorial", "opinion"),
        ("", None),
        (None, None),
    ],
)
def test_design_is_read_from_publication_types_and_free_text(text, design):
    assert design_from_text(text) == design


def test_a_list_of_publication_types_yields_the_most_specific_design():
    assert design_from_text(["Journal Article", "Review", "Systematic Review"]) == "systematic_review"
    assert design_from_text(["Letter", "Case Reports"]) == "case_series"
    assert design_from_text(["Journal Article", "Research Support, N.I.H."]) is None


def test_population_is_the_parenthesised_text_after_the_study_type():
    note = (
        "study_type: animal model (murine breast cancer models, with tissue from 20 patients "
        "treated with neoadjuvant chemotherapy)"
    )
    assert population_from_note(note) == (
        "murine breast cancer models, with tissue from 20 patients treated with "
        "neoadjuvant chemotherapy"
    )


def test_population_keeps_nested_parentheses_and_tolerates_an_unclosed_one():
    assert population_from_note("study_type: cohort (311 women (two centres)) extra") == (
        "311 women (two centres)"
    )
    assert population_from_note("study_type: cohort (311 women") == "311 women"
    assert population_from_note("study_type: editorial") is None
    assert population_from_note("Accessed 2024 (online)") is None


def test_a_curated_note_outranks_publication_types_and_genre():
    assert infer_design("study_type: cohort", "Editorial", ["Letter"]) == "cohort"
    assert infer_design(None, "Editorial", ["Randomized Controlled Trial"]) == "rct"
    assert infer_design("Accessed via the library (cohort)", "Editorial") == "opinion"
