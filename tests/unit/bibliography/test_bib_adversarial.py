"""Reference parsers against crafted input: a megabyte of whitespace must not stall a worker.

A regular expression with overlapping quantifiers (``\\s*:?\\s*``, ``(.+?)\\s+``, a multi-line
``^\\s*``) backtracks quadratically: a few thousand spaces cost seconds and a one-megabyte line
hours. These payloads are what an admin's import of a crafted file, or the study form, can carry.
Each is parsed in a child process that is stopped after a generous bound (a linear parse takes
well under a second, see bench/adversarial_input.py; the quadratic one took hours), so a
regression fails the test instead of hanging the suite.
"""
from __future__ import annotations

import json
import multiprocessing
import time

import pytest

from app.bibliography import InvalidIdentifier
from app.bibliography.formats import FormatError, guess_format, parse
from app.bibliography.formats._common import identifiers_in_notes
from app.bibliography.identifiers import normalise_doi, normalise_pmcid, normalise_pmid

MEGABYTE = 1_000_000
# Far above a linear parse of a megabyte on a loaded machine, far below a quadratic one.
BOUND_SECONDS = 20.0
SPACES = " " * MEGABYTE
NEWLINES = "\n" * MEGABYTE
MIXED = " \t\n" * (MEGABYTE // 3)


def _payloads() -> dict[str, tuple]:
    """Name -> (function, argument): each feeds about a megabyte of adversarial whitespace."""
    return {
        "pmid": (normalise_pmid, f"pmid{SPACES}x"),
        "pmid with a colon": (normalise_pmid, f"PMID{SPACES}:{SPACES}x"),
        "pmcid": (normalise_pmcid, f"pmcid{SPACES}x"),
        "pmcid after the label": (normalise_pmcid, f"PMCID:{SPACES}pmc{SPACES}x"),
        "doi": (normalise_doi, f"doi:{SPACES}10.1000/{SPACES}x"),
        "notes": (identifiers_in_notes, [f"{NEWLINES}x", f"PMID{SPACES}:{SPACES}x\n{MIXED}PMCID:"]),
        "format sniffing": (guess_format, f"{NEWLINES}x"),
        "nbib author initials": (parse, f"PMID- 1\nTI  - T.\nAU  - a{SPACES}x\n"),
        "nbib pmcid": (parse, f"PMID- 1\nTI  - T.\nPMC - pmcid{SPACES}x\n"),
        "nbib doi": (parse, f"PMID- 1\nTI  - T.\nAID - a{SPACES}x [doi]{SPACES}y\n"),
        "nbib blank lines": (parse, f"PMID- 1\nTI  - T.\n{MIXED}AU  - Smith J\n"),
        "ris accession number": (parse, f"TY  - JOUR\nTI  - T\nDB  - PubMed\nAN  - pmid{SPACES}x\nER  - \n"),
        "ris note": (parse, f"TY  - JOUR\nTI  - T\nN1  - PMID{SPACES}:{SPACES}x\nER  - \n"),
        "ris pages": (parse, f"TY  - JOUR\nTI  - T\nSP  - 1{SPACES}x{SPACES}-{SPACES}\nER  - \n"),
        "bibtex pmid": (parse, "@article{k, title={T}, pmid={pmid" + SPACES + "x}}\n"),
        "bibtex fields": (parse, "@article{k, title={T" + MIXED + "x}, author={A" + MIXED + "and B}}\n"),
        "csl-json identifiers": (parse, json.dumps([{"type": "article-journal", "title": "T",
                                                     "PMID": "pmid" + SPACES + "x", "PMCID": "pmcid" + SPACES}])),
        "csl-json note": (parse, json.dumps([{"type": "article-journal", "title": "T",
                                              "note": f"{NEWLINES}PMID:{SPACES}x"}])),
    }


PAYLOADS = _payloads()


def run_payload(name: str) -> None:
    """Run one payload, accepting the refusals a crafted file deserves (and nothing else)."""
    function, argument = PAYLOADS[name]
    try:
        function(argument)
    except (InvalidIdentifier, FormatError):
        pass


def _child(name: str, connection) -> None:
    started = time.perf_counter()
    run_payload(name)
    connection.send(time.perf_counter() - started)


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_a_megabyte_of_whitespace_is_parsed_in_linear_time(name):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(name, sender), daemon=True)
    child.start()
    child.join(BOUND_SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"{name}: still parsing after {BOUND_SECONDS:.0f} s (quadratic backtracking?)")
    assert child.exitcode == 0, f"{name}: the parser crashed (exit code {child.exitcode})"
    assert receiver.poll(), f"{name}: no result"


def test_an_overlong_identifier_is_refused_with_a_short_message():
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_pmid(f"pmid{SPACES}x")
    message = str(caught.value)
    assert "too long" in message and len(message) < 300


@pytest.mark.parametrize(("raw", "expected"), [
    ("PMID: 28679654", "28679654"), ("pmid 28679654", "28679654"), ("PMID:28679654", "28679654"),
    ("PMID : 28679654", "28679654"), ("28679654", "28679654"), ("pmid28679654", "28679654")])
def test_labelled_pmids_are_still_read(raw, expected):
    assert normalise_pmid(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("PMC5609456", "PMC5609456"), ("pmcid: PMC5609456", "PMC5609456"), ("PMCID PMC 5609456", "PMC5609456"),
    ("pmc5609456", "PMC5609456")])
def test_labelled_pmcids_are_still_read(raw, expected):
    assert normalise_pmcid(raw) == expected


@pytest.mark.parametrize("raw", ["PMID: 12a", "PMID: :1", "pmc", "PMCID:", "PMC 12 3", "123456789"])
def test_malformed_identifiers_are_still_refused(raw):
    with pytest.raises(InvalidIdentifier):
        (normalise_pmcid if "pmc" in raw.lower() else normalise_pmid)(raw)


def test_medline_authors_keep_their_initials():
    result = parse("PMID- 1\nTI  - T.\nAU  - van der Berg  JA\nAU  - Smith\nAU  - Lee\tK\n")
    assert result.studies[0].authors == [{"family": "van der Berg", "given": "JA"}, {"family": "Smith"},
                                         {"family": "Lee", "given": "K"}]


def test_notes_still_carry_identifiers_on_their_own_lines():
    assert identifiers_in_notes(["Some text\n  PMID: 123 \nPMCID:PMC99\n"]) == {"pmid": "123", "pmcid": "PMC99"}
