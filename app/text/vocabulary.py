"""The words search treats as equivalent: a small synonym table and English spelling variants.

Clinical abbreviations are ambiguous ("MI" is also "mitral insufficiency" to some readers), so search
never expands one on its own: only the pairs listed in SYNONYMS are equivalent, and the README lists
them. Each group is a set of expressions meaning the same thing; typing any of them (as words or as a
"phrase") also finds the others.

Both engines stem English (Porter in SQLite, Snowball in PostgreSQL), but neither maps Greek and
Latin plurals ("metastasis" and "metastases" stem differently) or British and American spellings
("tumour", "tumor") onto one form. `variants` adds those forms to a query word, the same on both
engines, so results do not depend on the engine.
"""
from __future__ import annotations

import re

# Each group: expressions (lower case, words separated by single spaces) that mean the same.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("nac", "neoadjuvant chemotherapy"),
    ("rct", "randomised controlled trial", "randomized controlled trial"),
    ("tmem", "tumor microenvironment of metastasis", "tumour microenvironment of metastasis"),
    ("mi", "myocardial infarction"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("ckd", "chronic kidney disease"),
    ("nsclc", "non small cell lung cancer"),
    ("af", "atrial fibrillation"),
    ("os", "overall survival"),
    ("pfs", "progression free survival"),
    ("dfs", "disease free survival"),
    ("t2dm", "type 2 diabetes"),
    ("ici", "immune checkpoint inhibitor"),
    ("pcr", "pathological complete response"),
)

# Longest expression first, so "randomised controlled trial" wins over a shorter overlap.
MAX_EXPRESSION_WORDS = max(len(e.split()) for group in SYNONYMS for e in group)

_GROUP_OF: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
for _group in SYNONYMS:
    _forms = tuple(tuple(e.split()) for e in _group)
    for _form in _forms:
        _GROUP_OF[_form] = _forms


def synonyms_of(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Return the other expressions equivalent to `words` (lower case), or () when it has none."""
    group = _GROUP_OF.get(tuple(w.lower() for w in words))
    if not group:
        return ()
    key = tuple(w.lower() for w in words)
    return tuple(form for form in group if form != key)


# British ↔ American stems, checked at the start of a word.
_SPELLING_PREFIXES: tuple[tuple[str, str], ...] = (
    ("haem", "hem"), ("anaem", "anem"), ("oedem", "edem"), ("oesophag", "esophag"), ("oestr", "estr"),
    ("paediatr", "pediatr"), ("orthopaed", "orthoped"), ("foet", "fet"), ("leukaem", "leukem"),
    ("ischaem", "ischem"), ("diarrhoe", "diarrhe"), ("tumour", "tumor"),
)
# Word endings (from, to): Greek and Latin plurals, and -ise/-ize forms, listed in each useful direction.
_ENDINGS: tuple[tuple[str, str], ...] = (
    ("sis", "ses"), ("ses", "sis"), ("xis", "xes"), ("xes", "xis"), ("ix", "ices"), ("ex", "ices"),
    ("ices", "ix"), ("ices", "ex"), ("erion", "eria"), ("eria", "erion"), ("enon", "ena"), ("ena", "enon"),
    ("ium", "ia"), ("ia", "ium"), ("us", "i"), ("i", "us"), ("ae", "a"), ("ula", "ulae"), ("bra", "brae"),
    ("oma", "omata"), ("omata", "oma"),
    ("ise", "ize"), ("ize", "ise"), ("ised", "ized"), ("ized", "ised"), ("ises", "izes"), ("izes", "ises"),
    ("ising", "izing"), ("izing", "ising"), ("isation", "ization"), ("ization", "isation"),
    ("our", "or"), ("ours", "ors"),
)
_MIN_STEM = 3
_WORD = re.compile(r"[^\W\d_]+")


def variants(word: str) -> tuple[str, ...]:
    """Return other spellings of `word` (plural forms, British/American), lower case, without `word` itself."""
    base = word.lower()
    if len(base) < _MIN_STEM + 1 or not _WORD.fullmatch(base):
        return ()
    found: list[str] = []

    def add(form: str) -> None:
        if form != base and form not in found:
            found.append(form)

    for one, other in _SPELLING_PREFIXES:
        for have, want in ((one, other), (other, one)):
            if base.startswith(have) and not base.startswith(want):
                add(want + base[len(have):])
    for have, want in _ENDINGS:
        if base.endswith(have) and len(base) - len(have) >= _MIN_STEM:
            add(base[: len(base) - len(have)] + want)
    return tuple(found)
