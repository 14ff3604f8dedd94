"""Folding text for matching: what is ignored, and how a folded match maps back to the real text."""

from app.text.normalise import collapse_spaces, fold, fold_plain


def test_folding_ignores_case_hyphens_punctuation_and_spacing():
    assert fold_plain("Breast-conserving  surgery, (BCS)!") == fold_plain("breast conserving surgery BCS")


def test_folding_keeps_numbers_and_symbols():
    assert fold_plain("1.5 mg and 1,500 mg, 31% (p<0.05)") == "1.5 mg and 1,500 mg 31% p<0.05"
    assert fold_plain("HR 0·82") == "hr 0.82"


def test_a_folded_range_maps_back_to_the_original_characters():
    text = "Shrinking the TUMOUR—before surgery."
    folded = fold(text)
    at = folded.text.index("tumour before")

    start, end = folded.span(at, at + len("tumour before"))

    assert text[start:end] == "TUMOUR—before"


def test_leading_space_is_kept_so_context_still_meets_the_quote():
    assert fold(" expressing MENA").text == " expressing mena"


def test_collapse_spaces():
    assert collapse_spaces(" a \n b\t c ") == "a b c"
