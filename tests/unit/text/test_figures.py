"""Figures are facts: which wordings state the same numbers, units, negations and comparisons."""

import pytest

from app.text.figures import fact_changes, facts, same_facts

SAME = {
    "thousands separator dropped": ("46,000 adults", "46000 adults"),
    "thin-space thousands separator": ("46\u2009000 adults", "46,000 adults"),
    "Lancet decimal point": ("HR 0·82", "HR 0.82"),
    "trailing zero of a decimal": ("0.70 to 0.96", "0.7 to 0.96"),
    "number words and digits": ("one in five women", "1 in 5 women"),
    "compound number words": ("twenty-five patients", "25 patients"),
    "hundreds in words": ("a hundred and twenty deaths", "120 deaths"),
    "range written with a dash or in words": ("2–4 days", "2 to 4 days"),
    "per cent spelled out": ("31 per cent", "31%"),
    "minus sign": ("a change of −3.5", "a change of -3.5"),
    "other words reworded": ("Neoadjuvant chemotherapy may promote", "Neoadjuvant chemotherapy could promote"),
    "case and punctuation": ("Not inferior, at 12 weeks.", "not inferior at 12 weeks"),
    "citation markers renumbered": ("their formation?1 and the evidence.3", "their formation?2 and the evidence.4"),
    "merged citation markers renumbered": ("the markers4,5 were", "the markers5,6 were"),
    "identifier digits": ("expression of TIE2", "expression of TIE2 receptor"),
    "percentage as an ordinary word": ("the percentage of patients", "the proportion of patients"),
}

CHANGED = {
    "a percentage corrected": ("from 31% to 43%", "from 31% to 44%"),
    "a count corrected": ("46,000 adults", "46,210 adults"),
    "a ratio in words": ("one in five", "one in six"),
    "a decimal": ("HR 0.82", "HR 0.87"),
    "a range": ("2–4 days", "2–5 days"),
    "a unit of time": ("for 3 weeks", "for 3 months"),
    "a dose unit": ("175 mg/m2", "175 g/m2"),
    "percentage points became points": ("by 2 percentage points", "by 2 points"),
    "a negation removed": ("was not inferior", "was inferior"),
    "a contracted negation removed": ("did not reach", "did reach"),
    "n't removed": ("didn't reach significance", "did reach significance"),
    "without became with": ("without benefit", "with benefit"),
    "a comparator flipped": ("higher mortality", "lower mortality"),
    "superior became non-inferior": ("was superior", "was non-inferior"),
    "non-inferior became superior": ("noninferior to", "superior to"),
    "a comparison sign": ("p<0.05", "p=0.05"),
    "half became a third": ("half of them", "a third of them"),
    "twice became three times": ("twice as likely", "three times as likely"),
    "figures swapped": ("from 31% to 43%", "from 43% to 31%"),
    "a statistics label": ("HR 0.82", "OR 0.82"),
    "a year": ("in 2019", "in 2020"),
    "reduced became increased": ("reduced relapse", "increased relapse"),
}


@pytest.mark.parametrize(("old", "new"), SAME.values(), ids=SAME.keys())
def test_rewordings_that_keep_the_facts_are_the_same(old, new):
    assert same_facts(old, new)
    assert fact_changes(old, new) == []


@pytest.mark.parametrize(("old", "new"), CHANGED.values(), ids=CHANGED.keys())
def test_a_changed_figure_unit_negation_or_comparator_is_a_change(old, new):
    assert not same_facts(old, new)
    assert fact_changes(old, new)


def test_fact_changes_name_the_figures_that_differ():
    assert fact_changes("mortality fell from 31% to 43% in 46,000 adults",
                        "mortality fell from 31% to 44% in 46,210 adults") == [("43", "44"), ("46,000", "46,210")]


def test_facts_are_listed_in_reading_order_with_their_kind():
    found = [(f.kind, f.value) for f in facts("Not more than 5 mg daily for two weeks (HR 0·8)")]

    assert found == [("negation", "not"), ("comparator", "more"), ("comparator", "than"), ("number", "5"),
                     ("unit", "mg"), ("number", "2"), ("unit", "week"), ("unit", "hr"), ("number", "0.8")]


def test_short_units_count_only_after_a_number():
    assert facts("a g protein") == []
    assert [(f.kind, f.value) for f in facts("5 g daily")] == [("number", "5"), ("unit", "g")]
