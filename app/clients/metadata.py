"""HTTP clients for Crossref and NCBI E-utilities, with timeouts, a descriptive User-Agent and a cache.

Every request goes through ``fetch``: a ``requests`` GET with the configured timeout
(``LOOKUP_TIMEOUT``, 5 seconds), a User-Agent naming Postil, its address and the contact address
``CROSSREF_MAILTO`` (Crossref's "polite pool" asks for it; NCBI asks for ``tool`` and ``email``
parameters). Answers are cached in memory per process, by URL: a successful answer for
``LOOKUP_CACHE_SECONDS`` (a day), a "not found" for a tenth of that. Errors are never cached, so
the next attempt asks again. Base URLs come from ``CROSSREF_API_URL`` and ``EUTILS_API_URL``, so
tests point them at a local server replaying the services' documented answers.

Failures become two exceptions a page can explain: ``SourceUnavailable`` (timeout, connection
refused, a 5xx, a 429 with its Retry-After, an answer that cannot be decoded) and the
bibliography layer's ``NotFoundAtSource`` (404).
"""
from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any
from urllib.parse import quote, urlencode

import requests
from flask import current_app

from app.bibliography.sources import LookedUp, NotFoundAtSource, SourceFormatError, crossref, pubmed

log = logging.getLogger("postil.lookups")

__all__ = ["SourceUnavailable", "clear_cache", "crossref_work", "pubmed_by_pmcid", "pubmed_by_pmid"]


class SourceUnavailable(Exception):
    """The service did not give a usable answer; `message` says why for the person waiting."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


class _Cache:
    """A small thread-safe LRU of answers with an expiry time each."""

    def __init__(self, size: int = 512):
        self.size = size
        self.items: OrderedDict[str, tuple[float, _Answer]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: str) -> _Answer | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            expires, answer = found
            if expires < time.monotonic():
                del self.items[key]
                return None
            self.items.move_to_end(key)
            return answer

    def put(self, key: str, answer: _Answer, seconds: float) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + seconds, answer)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def forget(self, key: str) -> None:
        with self.lock:
            self.items.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _Cache()
_session = requests.Session()


def clear_cache() -> None:
    """Forget every cached answer."""
    _cache.clear()


def _user_agent() -> str:
    config = current_app.config
    return f"Postil/1.0 (+{config['BASE_URL']}; mailto:{config['CROSSREF_MAILTO']})"


def _retry_after(value: str | None) -> int | None:
    try:
        return max(0, int(str(value).strip())) if value else None
    except ValueError:
        return None


def fetch(service: str, url: str) -> _Answer:
    """GET `url` (cached); return a 200 or 404 answer, or raise SourceUnavailable naming `service`."""
    cached = _cache.get(url)
    if cached is not None:
        return cached
    timeout = float(current_app.config["LOOKUP_TIMEOUT"])
    try:
        response = _session.get(url, timeout=timeout, headers={"User-Agent": _user_agent(),
                                                               "Accept": "application/json, text/xml;q=0.9"})
    except requests.Timeout:
        raise SourceUnavailable(f"{service} did not answer within {timeout:g} seconds.") from None
    except requests.RequestException as exc:
        log.warning("lookup: %s unreachable: %s", service, exc)
        raise SourceUnavailable(f"{service} cannot be reached from Postil just now.") from None
    seconds = float(current_app.config["LOOKUP_CACHE_SECONDS"])
    if response.status_code == 404:
        answer = _Answer(404, b"")
        _cache.put(url, answer, seconds / 10)
        return answer
    if response.status_code == 429:
        wait = _retry_after(response.headers.get("Retry-After"))
        later = f" Try again in {wait} seconds." if wait else " Try again in a minute."
        raise SourceUnavailable(f"{service} is limiting how often Postil may ask (too many requests).{later}", wait)
    if response.status_code != 200:
        log.warning("lookup: %s answered %s for %s", service, response.status_code, url)
        raise SourceUnavailable(f"{service} answered with an error (HTTP {response.status_code}).")
    answer = _Answer(200, response.content)
    _cache.put(url, answer, seconds)
    return answer


def _json(service: str, url: str, answer: _Answer) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        _cache.forget(url)  # an unreadable answer is a failure: ask again next time
        raise SourceUnavailable(f"{service} sent an answer Postil cannot read (not valid JSON).") from None


def _read(service: str, url: str, read, *args) -> Any:
    try:
        return read(*args)
    except SourceFormatError as exc:
        _cache.forget(url)
        raise SourceUnavailable(f"{service} sent an answer Postil cannot read ({exc}).") from None


def crossref_work(doi: str) -> LookedUp:
    """Look a DOI up in Crossref; raise NotFoundAtSource or SourceUnavailable."""
    config = current_app.config
    url = f"{config['CROSSREF_API_URL'].rstrip('/')}/works/{quote(doi, safe='/:;()')}"
    if config.get("CROSSREF_MAILTO"):
        url += "?" + urlencode({"mailto": config["CROSSREF_MAILTO"]})
    answer = fetch("Crossref", url)
    if answer.status == 404:
        raise NotFoundAtSource(f"Crossref has no record of the DOI {doi}")
    return _read("Crossref", url, crossref.read_work, _json("Crossref", url, answer))


def _eutils_url(endpoint: str, **params: str) -> str:
    config = current_app.config
    params = {**params, "tool": "postil"}
    if config.get("CROSSREF_MAILTO"):
        params["email"] = config["CROSSREF_MAILTO"]
    return f"{config['EUTILS_API_URL'].rstrip('/')}/{endpoint}?{urlencode(params)}"


def _summary(database: str, uid: str) -> LookedUp:
    url = _eutils_url("esummary.fcgi", db=database, id=uid, retmode="json")
    answer = fetch("PubMed", url)
    if answer.status == 404:
        raise NotFoundAtSource(f"PubMed has no record {uid}")
    return _read("PubMed", url, pubmed.read_summary, _json("PubMed", url, answer), uid, database)


def pubmed_by_pmid(pmid: str) -> LookedUp:
    """Look a PMID up in PubMed (summary, then abstract and notices); raise NotFoundAtSource or SourceUnavailable."""
    try:
        found = _summary("pubmed", pmid)
    except NotFoundAtSource:
        raise NotFoundAtSource(f"PubMed has no record with the PMID {pmid}") from None
    url = _eutils_url("efetch.fcgi", db="pubmed", id=pmid, retmode="xml")
    answer = fetch("PubMed", url)
    if answer.status == 200:
        abstract, notices = _read("PubMed", url, pubmed.read_efetch, answer.body)
        if abstract and not found.record.abstract:
            found.record.abstract = abstract
        found.notices.extend(notices)
    return found


def pubmed_by_pmcid(pmcid: str) -> LookedUp:
    """Look a PMCID up in PubMed Central, then in PubMed when it names a PMID; raise as pubmed_by_pmid."""
    try:
        found = _summary("pmc", pmcid.removeprefix("PMC"))
    except NotFoundAtSource:
        raise NotFoundAtSource(f"PubMed Central has no record with the PMCID {pmcid}") from None
    if found.record.pmid:
        fuller = pubmed_by_pmid(found.record.pmid)
        fuller.record.pmcid = fuller.record.pmcid or pmcid
        return fuller
    found.record.pmcid = found.record.pmcid or pmcid
    return found
