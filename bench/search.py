"""Benchmark search on a synthetic corpus: 1,000 articles, 100,000 annotations, 10,000 studies.

Builds the corpus with bulk inserts, then measures, on SQLite (a fresh file) and on PostgreSQL
when one is named (`--postgres URL`, a database this script may empty):

- `flask search reindex` of the whole corpus (app.services.search.index.rebuild);
- 30 typical queries (words, phrases, prefixes, fielded filters, a facet) run as a signed-in reader
  through the search service (facets, counts, one page, snippets, objects), against the same
  words as a raw engine query alone (FTS5 MATCH ranked by bm25, or tsvector @@ ranked by
  ts_rank_cd, first 20 rows): p50 and p95 of each, and the ratio of the p50s;
- annotation creation (service call and commit) with the index listener on and off, interleaved.

Prints one table per engine (with --per-query, each query's medians too). Run:
.venv/bin/python bench/search.py [--scale 0.1] [--postgres URL] [--per-query]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import create_app, settle_process  # noqa: E402
from app.extensions import db  # noqa: E402
from config import TestingConfig  # noqa: E402

COMMON = ("patients treatment chemotherapy tumour cancer survival trial risk response therapy dose study "
          "outcome clinical evidence cohort analysis group effect data results model mice human cells "
          "breast lung metastasis metastases recurrence progression biopsy imaging surgery radiotherapy").split()
RARE = ("rebastinib macrophages tie2 angiopoietin tmem mena paclitaxel doxorubicin cyclophosphamide "
        "perivascular orthotopic immunohistochemistry pembrolizumab nivolumab trastuzumab osimertinib "
        "cardiotoxicity neutropenia lymphoedema anastomosis thrombosis haemorrhage oesophageal "
        "paediatric müller zoledronic denosumab bevacizumab ki67 her2 brca1 egfr alk kras").split()
FILLER = "the of and in with was for on as by to a is that were at from or an be this which".split()
TAGS = ["oncology", "breast cancer", "tmem", "preclinical models", "practice", "imaging", "toxicity",
        "immunotherapy", "surgery", "radiotherapy", "statistics", "trial design"]
KINDS = ["comment", "question", "critique", "support", "practice"]
DESIGNS = [("rct", 2), ("cohort", 3), ("case_control", 4), ("systematic_review", 1), ("animal", 5),
           ("opinion", 5), ("case_series", 4)]
JOURNALS = ["The Oncologist", "Lancet Oncology", "JAMA", "NEJM", "Science Translational Medicine", "BMJ"]
QUERIES = [
    "metastasis", "chemotherapy", "macrophages", "tie2 macrophages", "rebastinib", '"breast cancer"',
    '"tumour response"', "metasta*", "paclit*", "survival -mice", "human cells", "müller", "muller",
    "kind:question tie2", "kind:critique trial", "tag:oncology survival", 'tag:"breast cancer" dose',
    "author:smith response", "design:rct survival", "level:2 trial", "doxorubicin cardiotoxicity",
    "haemorrhage", "hemorrhage", "nac", "rct", "pembrolizumab nivolumab", "recurrence risk cohort",
    '"perivascular macrophages" tmem', "her2 trastuzumab", "neutropenia dose",
]
NAMES = ["Smith", "Jones", "Patel", "Garcia", "Müller", "Rossi", "Kim", "Nguyen", "Cohen", "Okafor"]


def sentence(rng: random.Random, words: int) -> str:
    picked = []
    for _ in range(words):
        roll = rng.random()
        picked.append(rng.choice(RARE) if roll < 0.06 else rng.choice(COMMON) if roll < 0.45 else rng.choice(FILLER))
    return " ".join(picked).capitalize() + "."


def build(app, scale: float, seed: int = 7) -> dict:
    """Insert the corpus with Core statements (no index), return what the benchmark needs."""
    from app.models import Annotation, Article, Study, User

    rng = random.Random(seed)
    now = datetime.now(UTC)
    n_articles, n_annotations, n_studies = int(1000 * scale), int(100_000 * scale), int(10_000 * scale)
    with app.app_context():
        conn = db.session.connection()
        users = [{"email": f"u{i}@example.org", "display_name": f"Dr {rng.choice(NAMES)} {i}", "profession": "GP",
                  "affiliation": "", "competing_interests": "None declared", "password_hash": "x",
                  "role": "reader", "session_token": f"t{i:060d}", "trusted": True, "suspended_indefinitely": False,
                  "created_at": now} for i in range(500)]
        conn.execute(insert(User.__table__), users)
        user_ids = list(conn.execute(select(User.id)).scalars())
        articles, texts = [], []
        for i in range(n_articles):
            paragraphs = [" ".join(sentence(rng, rng.randint(12, 30)) for _ in range(3)) for _ in range(10)]
            body = "\n\n".join(paragraphs)
            texts.append(paragraphs)
            articles.append({"slug": f"article-{i}", "title": sentence(rng, 6)[:-1], "standfirst": sentence(rng, 20),
                             "source": "bench", "tags": [rng.choice(TAGS)], "body_source": body,
                             "body_html": "".join(f"<p>{p}</p>" for p in paragraphs),
                             "body_text": "\n".join(paragraphs),
                             "version": 1, "status": "published", "display_rev": 0,
                             "created_at": now - timedelta(days=rng.randint(0, 900)), "updated_at": now})
        conn.execute(insert(Article.__table__), articles)
        article_ids = list(conn.execute(select(Article.id).order_by(Article.id)).scalars())
        studies = []
        for i in range(n_studies):
            design, level = rng.choice(DESIGNS)
            studies.append({"citation_key": f"s{i}", "csl_type": "article-journal", "title": sentence(rng, 10)[:-1],
                            "title_normalised": "", "authors": [{"family": rng.choice(NAMES), "given": "A."}],
                            "container_title": rng.choice(JOURNALS), "issued_year": rng.randint(1990, 2026),
                            "abstract": " ".join(sentence(rng, 25) for _ in range(3)), "design": design,
                            "evidence_level": level, "retracted": i % 97 == 0, "created_at": now, "updated_at": now})
        conn.execute(insert(Study.__table__), studies)
        roots: list[tuple[int, int]] = []
        batch: list[dict] = []
        next_id = 1
        for i in range(n_annotations):
            article_index = rng.randrange(n_articles)
            words = sentence(rng, rng.randint(15, 50))
            row = {"id": next_id, "article_id": article_ids[article_index], "author_id": rng.choice(user_ids),
                   "kind": rng.choice(KINDS), "body": words, "body_html": f"<p>{words}</p>",
                   "tags": rng.sample(TAGS, rng.randint(0, 2)), "visibility": "private" if i % 20 == 0 else "public",
                   "status": "pending" if i % 33 == 0 else "published", "created_version": 1, "anchor_version": 1,
                   "anchor_state": "anchored", "open_flags": 0, "resubmitted": False,
                   "created_at": now - timedelta(minutes=i), "modified_at": now, "parent_id": None, "root_id": None,
                   "exact": None, "original_exact": None}
            if roots and i % 3 == 2:
                root_id, root_article = rng.choice(roots[-500:])
                row.update(parent_id=root_id, root_id=root_id, article_id=root_article, kind="comment")
            else:
                paragraph = rng.choice(texts[article_index])
                start = rng.randrange(0, max(1, len(paragraph) - 40))
                row.update(exact=paragraph[start:start + 40], original_exact=paragraph[start:start + 40])
                roots.append((next_id, row["article_id"]))
            batch.append(row)
            next_id += 1
            if len(batch) == 5000:
                conn.execute(insert(Annotation.__table__), batch)
                batch = []
        if batch:
            conn.execute(insert(Annotation.__table__), batch)
        if conn.dialect.name == "postgresql":
            # The ids were given explicitly (replies name their parents): move the sequence past them.
            conn.execute(text("SELECT setval(pg_get_serial_sequence('annotations', 'id'), max(id)) FROM annotations"))
        db.session.commit()
    return {"articles": n_articles, "annotations": n_annotations, "studies": n_studies, "slug": "article-0"}


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def raw_query(dialect: str, query) -> tuple[str, dict]:
    """Return the engine query alone for the words of `query`: the baseline."""
    from app.text.query import fts5_match, tsquery_match

    if dialect == "sqlite":
        return ("SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY bm25(search_fts) LIMIT 20",
                {"q": fts5_match(query.required)})
    return ("SELECT id FROM search_documents WHERE tsv @@ to_tsquery('postil_english', :q) "
            "ORDER BY ts_rank_cd(tsv, to_tsquery('postil_english', :q)) DESC LIMIT 20",
            {"q": tsquery_match(query.required)})


def measure_queries(app, repeat: int) -> dict:
    """Time every query through the service (both tabs) and alone in the engine; return percentiles and medians."""
    from app.models import User
    from app.services.search.requests import SearchRequest
    from app.services.search.searching import search
    from app.text.query import parse

    service, raw, per_query = [], [], []
    with app.app_context():
        reader = db.session.scalar(select(User).order_by(User.id).limit(1))
        dialect = db.engine.dialect.name
        for q in QUERIES:
            parsed = parse(q)
            sql, params = raw_query(dialect, parsed)
            for kind in ("", "annotation"):
                search(SearchRequest(q=q, type=kind), reader)  # warm the caches once
            mine: dict[str, list[float]] = {"": [], "annotation": [], "raw": []}
            for _ in range(repeat):
                for kind in ("", "annotation"):
                    # The rollback below expires the reader; a request has its account loaded before it
                    # searches (Flask-Login), so the reload is not part of the search.
                    db.session.refresh(reader)
                    started = time.perf_counter()
                    search(SearchRequest(q=q, type=kind), reader)
                    mine[kind].append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                started = time.perf_counter()
                db.session.execute(text(sql), params).all()
                mine["raw"].append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            service += mine[""] + mine["annotation"]
            raw += mine["raw"]
            per_query.append((q, *(statistics.median(mine[k]) for k in ("", "annotation", "raw"))))
    return {"service_p50": statistics.median(service), "service_p95": percentile(service, 95),
            "raw_p50": statistics.median(raw), "raw_p95": percentile(raw, 95), "per_query": per_query}


def measure_writes(app, count: int) -> dict:
    """Time annotation creation with the index listener on and off, alternating."""
    from app.models import Annotation, Article, User
    from app.services import annotations
    from app.services.search import index

    timings = {"on": [], "off": []}
    with app.app_context():
        article = db.session.scalar(select(Article).order_by(Article.id).limit(1))
        author_id = db.session.scalar(select(User.id).order_by(User.id).limit(1))
        quote = article.body_text.split("\n")[0][:30]
        for i in range(count * 2):
            listening = i % 2 == 0
            if not listening:
                event.remove(Session, "after_flush", index._after_flush)
            try:
                started = time.perf_counter()
                author = db.session.get(User, author_id)
                annotations.create(article, author, body=f"Benchmark note {i} about paclitaxel dosing.",
                                   selector=annotations.anchor(article, quote))
                db.session.commit()
                timings["on" if listening else "off"].append((time.perf_counter() - started) * 1000)
            finally:
                if not listening:
                    index.init_app()
        unindexed = db.session.scalar(select(Annotation.id).where(~Annotation.id.in_(
            select(index.DOCS.c.annotation_id).where(index.DOCS.c.annotation_id.is_not(None)))).where(
            Annotation.deleted_at.is_(None)).limit(1))
        assert unindexed is not None, "the unindexed half should be missing from the index"
    on, off = statistics.median(timings["on"]), statistics.median(timings["off"])
    return {"create_on_ms": on, "create_off_ms": off, "overhead_pct": (on - off) / off * 100}


def run(url: str, scale: float, repeat: int, writes: int) -> dict:
    from flask_migrate import upgrade

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        ANNOTATION_MAX_LENGTH = 10_000

    app = create_app(Config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    started = time.perf_counter()
    sizes = build(app, scale)
    built = time.perf_counter() - started
    from app.services.search.index import rebuild

    with app.app_context():
        started = time.perf_counter()
        counts = rebuild(db.session.connection())
        db.session.commit()
        reindex = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    results = {"engine": url.split(":")[0], **sizes, "documents": counts, "build_s": built, "reindex_s": reindex}
    settle_process()  # as wsgi.py does in every worker once the app is built
    results.update(measure_queries(app, repeat))
    results.update(measure_writes(app, writes))
    with app.app_context():
        db.engine.dispose()
    return results


def report(r: dict, per_query: bool = False) -> None:
    """Print one engine's figures (and each query's medians with `per_query`)."""
    print(f"\n== {r['engine']}: {r['articles']:,} articles, {r['annotations']:,} annotations, "
          f"{r['studies']:,} studies ({sum(r['documents'].values()):,} documents)")
    print(f"reindex (flask search reindex):       {r['reindex_s']:8.1f} s   (target < 120 s)")
    print(f"search service p50 / p95:             {r['service_p50']:8.1f} / {r['service_p95']:.1f} ms "
          "(target p95 <= 150 ms on SQLite)")
    print(f"raw engine query p50 / p95:           {r['raw_p50']:8.1f} / {r['raw_p95']:.1f} ms")
    print(f"p50 ratio service / raw:              {r['service_p50'] / r['raw_p50']:8.2f} x  (target <= 3 x)")
    print(f"annotation creation, index on / off:  {r['create_on_ms']:8.2f} / {r['create_off_ms']:.2f} ms "
          f"= {r['overhead_pct']:+.1f} %  (target <= +20 %)", flush=True)
    if per_query:
        print("median ms per query:                 All tab / Annotations tab / engine alone")
        for q, everything, annotations, alone in r["per_query"]:
            print(f"  {q:34s} {everything:8.1f} / {annotations:8.1f} / {alone:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full corpus (1.0 = 100,000 "
                                                                   "annotations)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query")
    parser.add_argument("--writes", type=int, default=150, help="annotations created with and without the index")
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database this benchmark may empty")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--per-query", action="store_true", help="print each query's medians too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = [run(f"sqlite:///{folder}/bench-search.sqlite3", args.scale, args.repeat, args.writes)]
    report(runs[-1], args.per_query)
    if args.postgres:
        runs.append(run(args.postgres, args.scale, args.repeat, args.writes))
        report(runs[-1], args.per_query)
    if args.json:
        print(json.dumps(runs, default=str, indent=1))


if __name__ == "__main__":
    main()
