"""The issue's "Done when" story, on the demo: identifiers, a retraction, an appraisal, the evidence map, exports."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Role, Study
from tests.conftest import csrf_from
from tests.html_forms import form_fields

RW_CSV = Path(__file__).resolve().parents[1] / "data" / "lookup" / "retraction-watch.csv"
SLUG = "chemotherapy-metastases"


def test_evidence_you_can_trust_on_the_demo(client, auth, make, runner, app, tmp_path, monkeypatch, lookup_server):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    admin = make.user(role=Role.ADMIN, name="Dr Ada Admin")
    auth.sign_in(admin.email)

    # 1. The admin pastes the Karagiannis DOI: Postil recognises the study it has.
    token = csrf_from(client.get("/studies/lookup").get_data(as_text=True))
    found = client.post("/studies/lookup", data={"csrf_token": token,
                                                 "identifier": "https://doi.org/10.1126/scitranslmed.aan0026"})
    with app.app_context():
        karagiannis = db.session.scalar(select(Study).where(Study.citation_key == "karagiannis2017")).id
    assert found.headers["Location"].endswith(f"/studies/{karagiannis}")
    assert lookup_server.requests == []

    # 2. ... pastes the PMID of a new paper (served by the test server) and adds it.
    review = client.post("/studies/lookup", data={"csrf_token": token, "identifier": "39000123"})
    saved = client.post("/studies/lookup/save", data=form_fields(review.get_data(as_text=True), "/studies/lookup/save"))
    new_study = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Neoadjuvant paclitaxel with or without a TIE2 inhibitor" in new_study and "[@haddad2024]" in new_study

    # 3. A Retraction Watch CSV marks a cited study retracted: badge and banner on the article.
    imported = runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    assert "[@karagiannis2017] matched by DOI (new)" in imported.output
    auth.sign_out()
    article = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert "A cited study has been retracted." in article
    assert '<span class="cite-notice cite-notice-retraction" data-nc>Retracted</span>' in article
    assert re.search(r'<li id="ref-2".*?Retracted 16 May 2026.*?</li>', article, re.DOTALL)

    # 4. A reader appraises the mouse study with SYRCLE domains; the study page shows the summary table.
    reader = make.user(name="Dr Rhea Reader", trusted=True)
    auth.sign_in(reader.email)
    for quote, domain, judgement in (("rebastinib, a TIE2 inhibitor", "random_housing", "high"),
                                     ("studying breast cancer through mouse models", "baseline", "some_concerns")):
        token = csrf_from(client.get(f"/articles/{SLUG}/annotate").get_data(as_text=True))
        response = client.post(f"/articles/{SLUG}/annotate", data={
            "csrf_token": token, "exact": quote, "body": "Appraisal with SYRCLE.", "kind": "critique",
            "study_id": str(karagiannis), "visibility": "public", "appraisal_tool": "syrcle",
            "appraisal_domain": domain, "appraisal_judgement": judgement})
        assert response.status_code == 302
    study_page = client.get(f"/studies/{karagiannis}").get_data(as_text=True)
    summary = re.search(r'<svg[^>]*class="rob-summary".*?</svg>', study_page, re.DOTALL).group(0)
    assert "4 Random housing (performance bias)" in summary and ">1 high</text>" in summary
    assert "2 Baseline characteristics (selection bias)" in summary and ">1 some concerns</text>" in summary

    # 5. The evidence map and the claims table show all three references with design and level.
    article = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    table = re.search(r'<table class="evidence-table">.*?</table>', article, re.DOTALL).group(0)
    for number, design in ((1, "Editorial / commentary / opinion"), (2, "Animal model"),
                           (3, "Editorial / commentary / opinion")):
        row = re.search(rf'<th scope="row"><a [^>]*>{number}<.*?</tr>', table, re.DOTALL).group(0)
        assert design in row and "<td>5</td>" in row
    claims = re.search(r'<table class="claims-table">.*?</table>', article, re.DOTALL).group(0)
    assert all(f'href="#ref-{n}">[{n}]</a>' in claims for n in (1, 2, 3))
    assert claims.count("<td>5</td>") == 4  # four citing sentences, each a level-5 study

    # 6. The reader exports the discussion as CSV, JSON-LD and Markdown.
    rows = list(csv.DictReader(io.StringIO(client.get(f"/articles/{SLUG}/discussion.csv")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["kind"] for r in rows) == ["Clinical practice note", "Critique of evidence", "Critique of evidence",
                                               "Question", "Question"]
    assert any(r["appraisal_tool"] == "SYRCLE" and r["appraisal_judgement"] == "High risk of bias" for r in rows)
    collection = json.loads(client.get(f"/articles/{SLUG}/discussion.jsonld").get_data(as_text=True))
    assert collection["type"] == "AnnotationCollection" and collection["total"] == len(rows) == 5
    notes = client.get(f"/articles/{SLUG}/discussion.md").get_data(as_text=True)
    assert "*Appraisal:* SYRCLE · 4 Random housing (performance bias) · High risk of bias" in notes
    assert "Retracted 16 May 2026" in notes
