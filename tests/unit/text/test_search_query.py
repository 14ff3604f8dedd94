"""Parsing what readers type into search: words, phrases, exclusions, prefixes, filters, identifiers."""
import pytest

from app.text.query import (
    MAX_QUERY_LENGTH,
    AllOf,
    AnyOf,
    FieldFilter,
    Identifier,
    QueryError,
    Term,
    filter_token,
    fts5_match,
    parse,
    tsquery_match,
    with_filter,
    without_filter,
    words_of,
)


def test_words_must_all_match_and_are_lower_cased():
    query = parse("TIE2 Macrophages")
    assert query.required == (Term(("tie2",)), Term(("macrophages",)))
    assert fts5_match(query.required) == '"tie2" AND "macrophages"'


def test_a_quoted_phrase_is_one_term_and_an_unclosed_quote_runs_to_the_end():
    assert parse('"tumor invasion" sites').required[0] == Term(("tumor", "invasion"))
    assert parse('sites "tumor invasion').required[1] == Term(("tumor", "invasion"))


def test_a_minus_excludes_a_word_or_a_phrase_and_a_lone_minus_is_ignored():
    query = parse('mena -"tumor invasion" - -rebastinib')
    assert query.required == (Term(("mena",)),)
    assert query.excluded == (Term(("tumor", "invasion")), Term(("rebastinib",)))


def test_a_hyphen_inside_a_word_joins_its_parts_as_a_phrase():
    assert parse("non-responders").required == (Term(("non", "responders")),)


def test_a_star_marks_a_prefix_of_three_letters_or_more():
    assert parse("metasta*").required == (Term(("metasta",), prefix=True),)
    short = parse("me*")
    assert short.required == (Term(("me",)),)
    assert "at least 3 letters" in short.notices[0]


def test_fielded_filters_are_read_with_quoted_values_and_negation():
    query = parse('kind:Question tag:"Breast  Cancer" -author:smith level:2 words')
    assert query.filters == (FieldFilter("kind", "question"), FieldFilter("tag", "breast cancer"),
                             FieldFilter("author", "smith", negated=True), FieldFilter("level", "2"))
    assert query.required == (Term(("words",)),)
    assert query.values("author", negated=True) == ["smith"]


def test_an_unknown_field_is_searched_as_words_and_an_empty_value_is_explained():
    assert parse("ratio:1").required == (Term(("ratio", "1")),)
    query = parse("tag: cancer")
    assert query.filters == ()
    assert "needs a value" in query.notices[0]


@pytest.mark.parametrize("typed", ['AND OR NOT NEAR', '^(x) NEAR/3 "', "'; DROP TABLE annotations; --",
                                   'col:"x" * ) (', "a\x00b\x1bc\u200bd"])
def test_engine_syntax_and_control_characters_only_ever_become_quoted_words(typed):
    query = parse(typed)
    for term in words_of(query):
        assert term.isalnum()
    fts = fts5_match(query.required)
    # Every word is inside double quotes: outside them only our own operators remain.
    outside = fts.replace('"', "\x00").split("\x00")[::2]
    assert all(part.strip() in ("", "AND", "OR", "(", ")", "AND (", ") AND", "*") or set(part) <= set(" ()ANDOR*")
               for part in outside)


def test_operators_typed_by_readers_are_plain_words():
    assert words_of(parse("cancer AND NOT NEAR")) == ["cancer", "and", "not", "near"]


def test_a_query_longer_than_the_limit_is_refused_with_its_length():
    with pytest.raises(QueryError, match="10,000 characters.*at most 500"):
        parse("x" * 10_000)
    assert parse("x" * MAX_QUERY_LENGTH).required


def test_an_empty_query_or_exclusions_alone_ask_for_nothing():
    assert parse("").is_empty
    assert parse("  \t ").is_empty
    assert parse("-foo").is_empty
    assert "only leaves results out" in parse("-foo").notices[0]
    assert not parse("kind:question").is_empty


@pytest.mark.parametrize("typed, expected", [
    ("10.1634/theoncologist.2017-0648", Identifier("doi", "10.1634/theoncologist.2017-0648")),
    ("https://doi.org/10.1634/THEONCOLOGIST.2017-0648", Identifier("doi", "10.1634/theoncologist.2017-0648")),
    ("doi:10.1126/scitranslmed.aan0026", Identifier("doi", "10.1126/scitranslmed.aan0026")),
    ("PMID: 28679654", Identifier("pmid", "28679654")),
    ("28679654", Identifier("pmid", "28679654")),
    ("pmc5609456", Identifier("pmcid", "PMC5609456")),
    ("PMCID: PMC5609456", Identifier("pmcid", "PMC5609456")),
    ("10.1634 metastases", None),
    ("tie2", None),
])
def test_an_identifier_typed_alone_is_recognised(typed, expected):
    assert parse(typed).identifier == expected


def test_an_abbreviation_from_the_synonym_table_also_finds_its_expansion_and_back():
    assert parse("NAC").required == (AnyOf((Term(("nac",)), Term(("neoadjuvant", "chemotherapy")))),)
    typed = parse("neoadjuvant chemotherapy").required
    assert len(typed) == 1 and isinstance(typed[0], AnyOf)
    assert typed[0].options[1] == Term(("nac",))
    assert isinstance(typed[0].options[0], AllOf)
    assert parse('"randomised controlled trial"').required[0].options[1] == Term(("rct",))


def test_abbreviations_not_in_the_table_are_searched_as_typed():
    assert parse("HR").required == (Term(("hr",)),)


def test_plural_forms_of_a_word_are_searched_together():
    node = parse("metastasis").required[0]
    assert node == AnyOf((Term(("metastasis",)), Term(("metastases",))))
    assert "'metastasis' | 'metastases'" in tsquery_match((node,))


def test_a_quoted_word_has_no_variants():
    assert parse('"metastasis"').required == (Term(("metastasis",)),)


def test_the_postgresql_text_quotes_every_word_and_chains_phrases():
    query = parse('"tumor invasion" rebast* -mena')
    assert tsquery_match(query.required) == "('tumor' <-> 'invasion') & ('rebast':*)"


def test_too_many_words_are_cut_with_a_notice():
    query = parse(" ".join(f"w{n}" for n in range(40)))
    assert len(query.required) == 24
    assert "first 24" in query.notices[0]


def test_facet_links_add_and_remove_filters_in_the_query_text():
    assert filter_token("tag", "breast cancer") == 'tag:"breast cancer"'
    assert with_filter("tie2", "kind", "question") == "tie2 kind:question"
    assert with_filter("tie2 kind:question", "kind", "question") == "tie2 kind:question"
    assert without_filter('tie2 tag:"Breast Cancer" kind:question', "tag", "breast cancer") == "tie2 kind:question"
    assert without_filter("x -kind:question kind:question", "kind", "question", negated=True) == "x kind:question"
