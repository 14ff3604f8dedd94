"""Structured appraisals on critiques, the study page's summary, and the article's evidence map and claims table."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind, Appraisal, Study, Visibility
from tests.conftest import csrf_from

MODELS_QUOTE = "are the models used really representative of the spectrum of human tumors?"
REBASTINIB = "rebastinib, a TIE2 inhibitor"


def study_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Study.id).where(Study.citation_key == key))


def appraise(client, slug: str, quote: str, **fields):
    token = csrf_from(client.get(f"/articles/{slug}/annotate").get_data(as_text=True))
    data = {"csrf_token": token, "exact": quote, "body": "Housing was not randomised.", "kind": "critique",
            "visibility": "public", **fields}
    return client.post(f"/articles/{slug}/annotate", data=data)


@pytest.fixture
def scene(make, auth, client, app):
    slug = make.demo_article()
    reader = make.user(name="Dr Rhea Reader", trusted=True)
    auth.sign_in(reader.email)
    return slug, reader, study_id(app, "karagiannis2017")


def test_a_critique_carries_a_syrcle_appraisal_shown_as_a_chip(client, app, scene):
    slug, reader, mouse_study = scene
    response = appraise(client, slug, REBASTINIB, study_id=mouse_study, appraisal_tool="syrcle",
                        appraisal_domain="random_housing", appraisal_judgement="high", appraisal_grade="indirectness")
    assert response.status_code == 302
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    chip = re.search(r'<p class="appraisal-chip appraisal-high">.*?</p>', page, re.DOTALL).group(0)
    assert "SYRCLE" in chip and "4 Random housing (performance bias)" in chip
    assert "\u00d7</span> High risk of bias" in chip and "GRADE: Indirectness" in chip
    with app.app_context():
        stored = db.session.scalar(select(Appraisal))
        assert (stored.tool, stored.domain, stored.judgement, stored.grade_factor) == (
            "syrcle", "random_housing", "high", "indirectness")


@pytest.mark.parametrize("fields, message", [
    ({"appraisal_tool": "syrcle", "appraisal_domain": "randomisation", "appraisal_judgement": "high"},
     "\u201crandomisation\u201d is not a domain of SYRCLE (it is a domain of RoB 2)."),
    ({"appraisal_tool": "syrcle", "appraisal_domain": "random_housing"}, "Choose a judgement: low risk of bias"),
    ({"appraisal_tool": "rob3", "appraisal_domain": "x", "appraisal_judgement": "low"}, "Choose a risk-of-bias tool"),
    ({"appraisal_tool": "other", "appraisal_judgement": "low"}, "Name the domain you are judging"),
    ({"appraisal_tool": "syrcle", "appraisal_domain": "random_housing", "appraisal_judgement": "low",
      "appraisal_grade": "vibes"}, "The GRADE factor must be one of"),
    ({"appraisal_tool": "syrcle", "appraisal_domain": "random_housing", "appraisal_judgement": "low",
      "kind": "comment"},
     "Only a critique of evidence can carry a structured appraisal"),
    ({"appraisal_tool": "syrcle", "appraisal_domain": "random_housing", "appraisal_judgement": "low",
      "study_id": ""}, "A structured appraisal is about a study"),
])
def test_an_appraisal_that_does_not_fit_is_refused_and_nothing_is_saved(client, app, scene, fields, message):
    slug, reader, mouse_study = scene
    response = appraise(client, slug, REBASTINIB, **{"study_id": mouse_study, **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#34;", '"')
    with app.app_context():
        assert db.session.scalar(select(Annotation.id)) is None and db.session.scalar(select(Appraisal.id)) is None


def test_the_study_page_summarises_readable_appraisals_as_an_svg_table_linking_to_them(client, app, make, scene):
    slug, reader, mouse_study = scene
    appraise(client, slug, REBASTINIB, study_id=mouse_study, appraisal_tool="syrcle",
             appraisal_domain="random_housing", appraisal_judgement="high")
    appraise(client, slug, MODELS_QUOTE, study_id=mouse_study, appraisal_tool="syrcle",
             appraisal_domain="random_housing", appraisal_judgement="high")
    appraise(client, slug, MODELS_QUOTE, study_id=mouse_study, appraisal_tool="syrcle",
             appraisal_domain="blinding_assessors", appraisal_judgement="some_concerns", visibility="private")
    page = client.get(f"/studies/{mouse_study}").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*class=\"rob-summary\".*?</svg>", page, re.DOTALL).group(0)
    assert "style=" not in svg and "<script" not in svg
    assert ('aria-label="SYRCLE, 4 Random housing (performance bias): 2 appraisals judged high risk of bias"'
            in svg)
    assert ">2 high</text>" in svg and ">\u00d7</text>" in svg, "the cell says it with a symbol and words"
    assert 'href="#appraisal-syrcle-random-housing-high"' in svg
    assert '<li id="appraisal-syrcle-random-housing-high"' in page
    assert ">1 some concerns</text>" in svg, "the author sees their own private appraisal"
    anonymous = app.test_client().get(f"/studies/{mouse_study}").get_data(as_text=True)
    assert ">2 high</text>" in anonymous and ">1 some concerns</text>" not in anonymous, \
        "a private appraisal never counts for anyone else"


def test_the_evidence_map_lists_every_cited_study_with_design_level_critiques_and_a_pyramid(client, app, make, scene):
    slug, reader, mouse_study = scene
    appraise(client, slug, REBASTINIB, study_id=mouse_study)
    appraise(client, slug, MODELS_QUOTE, study_id=mouse_study, visibility="private")
    page = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    table = re.search(r'<table class="evidence-table">.*?</table>', page, re.DOTALL).group(0)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", table, re.DOTALL)
    assert len(rows) == 3
    assert "Editorial / commentary / opinion" in rows[0] and "<td>5</td>" in rows[0]
    assert "Animal model" in rows[1] and "<td>1<span class=\"visually-hidden\"> open critique</span>" in rows[1], \
        "anonymous readers count the public critique only"
    pyramid = re.search(r'<svg[^>]*class="evidence-pyramid".*?</svg>', page, re.DOTALL).group(0)
    assert ">5: 3 studies</text>" in pyramid and "level 5: 3 studies (ref. 1, 2, 3)" in pyramid
    assert "level 1: none" in pyramid
    assert ("Level 5 (reasoning from mechanism, incl. animal and laboratory work and expert opinion): "
            "references 1, 2, 3") in page
    own = client.get(f"/articles/{slug}").get_data(as_text=True)
    own_table = re.search(r'<table class="evidence-table">.*?</table>', own, re.DOTALL).group(0)
    assert "<td>2<span class=\"visually-hidden\"> open critiques</span>" in own_table


def test_each_citation_marker_is_described_by_its_studys_design_and_level(client, app, scene):
    slug, _, _ = scene
    page = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    assert re.search(r'<a href="#ref-2" id="cite-2-1" data-cite="karagiannis2017" aria-describedby="cite-tip-2"', page)
    tip = re.search(r'<div class="cite-tip" id="cite-tip-2" role="tooltip" hidden>(.*?)</div>', page).group(1)
    assert tip == ("Reference 2 \u00b7 Animal model \u00b7 CEBM level 5: Reasoning from mechanism, incl. animal and "
                   "laboratory work and expert opinion")


def test_the_claims_table_lists_each_citing_sentence_with_critiques_and_questions(client, app, make, scene):
    slug, reader, mouse_study = scene
    appraise(client, slug, REBASTINIB, study_id=mouse_study)
    make.annotation(reader, slug, "rebastinib", kind=AnnotationKind.QUESTION, body="Dose?")
    make.annotation(reader, slug, "TMEM, Tumor Micro-Environment of Metastasis", kind=AnnotationKind.QUESTION,
                    visibility=Visibility.PRIVATE)
    page = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    claims = re.search(r'<table class="claims-table">.*?</table>', page, re.DOTALL).group(0)
    rows = re.findall(r"<tr>.*?</tr>", claims.split("<tbody>", 1)[1], re.DOTALL)
    assert len(rows) == 4
    assert 'href="#cite-1-1">Dr. Chabner, Director of the Oncology Center' in rows[0]
    no_discussion = "<td rowspan=\"1\">0</td><td rowspan=\"1\">0</td>"
    assert "A recent analysis by Karagiannis" in rows[1] and no_discussion in rows[1]
    assert "The authors show that rebastinib, a TIE2 inhibitor" in rows[3]
    assert "Animal model" in rows[3] and "<td rowspan=\"1\">1</td><td rowspan=\"1\">1</td>" in rows[3]
