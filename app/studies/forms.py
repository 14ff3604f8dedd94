"""Study forms: one field per StudyRecord field, each checked with a message that names the fix."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.bibliography import DESIGNS, EVIDENCE_LEVELS, InvalidIdentifier
from app.bibliography.identifiers import normalise_doi, normalise_pmcid, normalise_pmid
from app.services.studies import CITATION_KEY_RE, KEY_MAX_LENGTH
from app.text.sanitize import is_safe_url

CSL_TYPES = [
    ("article-journal", "Journal article"),
    ("article", "Preprint or other article"),
    ("review", "Review"),
    ("book", "Book"),
    ("chapter", "Book chapter"),
    ("paper-conference", "Conference paper"),
    ("report", "Report"),
    ("thesis", "Thesis"),
    ("webpage", "Web page"),
    ("dataset", "Dataset"),
]
DESIGN_CHOICES = [("", "Not stated")] + [(code, label) for code, label in DESIGNS.items()]
LEVEL_CHOICES = [("", "The level the design suggests (none for guidelines and \u201cother\u201d)")] + [
    (str(level), f"Level {level}: {meaning}") for level, meaning in EVIDENCE_LEVELS.items()]
IMPORT_FORMATS = [("", "Detect from the file"), ("csl-json", "CSL-JSON (.json)"), ("ris", "RIS (.ris)"),
                  ("bibtex", "BibTeX (.bib)"), ("nbib", "PubMed / MEDLINE (.nbib)")]


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]
_INITIALS_RE = re.compile(r"^[A-Z]{1,3}$")


def _identifier(normalise):
    def check(form, field):
        if field.data and field.data.strip():
            try:
                normalise(field.data)
            except InvalidIdentifier as exc:
                raise ValidationError(f"{exc}.") from None
    return check


def _safe_url(form, field):
    if field.data and field.data.strip() and not is_safe_url(field.data.strip()):
        raise ValidationError("Enter a full web address starting with https:// (or http://).")


def parse_authors(text: str) -> list[dict[str, str]]:
    """Read authors written one per line as "Family, Given", "Family AB" (Vancouver) or a group name."""
    authors = []
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        if "," in line:
            family, given = (part.strip() for part in line.split(",", 1))
            authors.append({"family": family, "given": given} if given else {"family": family})
            continue
        words = line.split(" ")
        if len(words) > 1 and _INITIALS_RE.match(words[-1]) and line.lower() != "et al.":
            authors.append({"family": " ".join(words[:-1]), "given": words[-1]})
        else:
            authors.append({"literal": line})
    return authors


def format_authors(authors: list[dict[str, str]]) -> str:
    """Write authors one per line in the form parse_authors reads."""
    lines = []
    for name in authors or []:
        if name.get("literal"):
            lines.append(name["literal"])
        elif name.get("given"):
            lines.append(f"{name.get('family', '')}, {name['given']}")
        else:
            lines.append(name.get("family", ""))
    return "\n".join(lines)


class StudyForm(FlaskForm):
    """Create or edit a study."""

    citation_key = StringField(
        "Citation key", validators=[Optional(), Length(max=KEY_MAX_LENGTH), Regexp(
            CITATION_KEY_RE, message="Use letters, digits and _ : . - + / only, starting with a letter or digit.")],
        description="Articles cite the study as [@key]. Left blank, one is made from the first author and year.")
    csl_type = SelectField("Type of work", choices=_choices(CSL_TYPES), default="article-journal")
    title = TextAreaField("Title", validators=[DataRequired(message="Enter the study's title."),
                                               Length(max=2000)])
    authors = TextAreaField("Authors", validators=[Length(max=20_000)],
                            description='One per line: "Family, Given names", "Family AB", or a group '
                                        'name such as "WHO Collaborative Group". Add "et al." for the rest.')
    container_title = StringField("Journal or book", validators=[Length(max=300)])
    container_title_short = StringField("Journal abbreviation", validators=[Length(max=120)],
                                        description='As in PubMed, e.g. "Sci Transl Med".')
    issued_year = IntegerField("Year", validators=[Optional(), NumberRange(
        min=1000, max=2999, message="Enter a four-digit year, such as 2017.")])
    issued_month = IntegerField("Month", validators=[Optional(), NumberRange(
        min=1, max=12, message="Enter a month from 1 to 12.")])
    issued_day = IntegerField("Day", validators=[Optional(), NumberRange(
        min=1, max=31, message="Enter a day from 1 to 31.")])
    volume = StringField("Volume", validators=[Length(max=40)])
    issue = StringField("Issue", validators=[Length(max=40)])
    pages = StringField("Pages", validators=[Length(max=60)], description='For example "273-274" or "eaan0026".')
    doi = StringField("DOI", validators=[Length(max=255), _identifier(normalise_doi)],
                      description="Like 10.1126/scitranslmed.aan0026; a https://doi.org/ link is accepted too.")
    pmid = StringField("PMID", validators=[Length(max=40), _identifier(normalise_pmid)],
                       description="The PubMed number, digits only.")
    pmcid = StringField("PMCID", validators=[Length(max=40), _identifier(normalise_pmcid)])
    url = StringField("Web address", validators=[Length(max=2000), _safe_url])
    genre = StringField("Genre", validators=[Length(max=80)], description='For example "Editorial" or "eLetter".')
    abstract = TextAreaField("Abstract", validators=[Length(max=20_000)])
    design = SelectField("Study design", choices=_choices(DESIGN_CHOICES), default="")
    population = TextAreaField("Population or model", validators=[Length(max=5000)],
                               description='Who or what was studied, e.g. "murine breast cancer models".')
    sample_size = IntegerField("Sample size", validators=[Optional(), NumberRange(
        min=0, message="Enter a whole number of participants (or animals), 0 or more.")])
    key_findings = TextAreaField("Key findings", validators=[Length(max=10_000)])
    evidence_level = SelectField(
        "Level of evidence (Oxford CEBM 2011)", choices=_choices(LEVEL_CHOICES), default="",
        description="By default, the level the design usually starts at (a randomised trial is level 2, an "
                    "animal study level 5). Grade down for bias, imprecision or indirectness, up for a dramatic "
                    "effect.")
    retracted = BooleanField("Retracted or corrected")
    retraction_note = TextAreaField("Retraction or correction note", validators=[Length(max=5000)],
                                    description="What happened and where the notice was published.")

    def validate_retraction_note(self, field):
        if self.retracted.data and not (field.data or "").strip():
            raise ValidationError("Say what happened: cite the retraction or correction notice.")

    def validate_authors(self, field):
        for name in parse_authors(field.data):
            if name.get("family") == "":
                raise ValidationError('Each line needs a family name before the comma, e.g. "Chabner, Bruce A."')

    def allow_type_of(self, study) -> None:
        """Accept the study's own CSL type even when it is not one of the usual choices."""
        if study.csl_type and study.csl_type not in dict(CSL_TYPES):
            self.csl_type.choices = _choices(CSL_TYPES + [(study.csl_type, study.csl_type)])

    def fill_from(self, study) -> None:
        """Put a stored study's values into the form (for editing)."""
        for name in ("citation_key", "csl_type", "title", "container_title", "container_title_short",
                     "issued_year", "issued_month", "issued_day", "volume", "issue", "pages", "doi", "pmid",
                     "pmcid", "url", "genre", "abstract", "population", "sample_size", "key_findings",
                     "retracted", "retraction_note"):
            getattr(self, name).data = getattr(study, name)
        self.authors.data = format_authors(study.authors)
        self.design.data = study.design or ""
        self.evidence_level.data = str(study.evidence_level) if study.evidence_level else ""

    def record_values(self) -> dict:
        """Return the submitted values as StudyRecord keyword arguments (identifiers still raw)."""
        def text(field):
            return (field.data or "").strip() or None

        return {
            "citation_key": text(self.citation_key), "csl_type": self.csl_type.data or "article-journal",
            "title": text(self.title) or "", "authors": parse_authors(self.authors.data),
            "container_title": text(self.container_title), "container_title_short": text(self.container_title_short),
            "issued_year": self.issued_year.data, "issued_month": self.issued_month.data,
            "issued_day": self.issued_day.data, "volume": text(self.volume), "issue": text(self.issue),
            "pages": text(self.pages), "doi": text(self.doi), "pmid": text(self.pmid), "pmcid": text(self.pmcid),
            "url": text(self.url), "abstract": text(self.abstract), "genre": text(self.genre),
            "design": self.design.data or None, "population": text(self.population),
            "sample_size": self.sample_size.data, "key_findings": text(self.key_findings),
            "evidence_level": int(self.evidence_level.data) if self.evidence_level.data else None,
            "retracted": bool(self.retracted.data),
            "retraction_note": text(self.retraction_note),
        }


class ImportForm(FlaskForm):
    """Upload a reference file."""

    file = FileField("Reference file", validators=[FileRequired(message="Choose a file to import.")],
                     description="Exported from Zotero, EndNote, Mendeley, PubMed or Postil. "
                                 "Each record is checked on its own; one bad record never stops the others.")
    format = SelectField("Format", choices=_choices(IMPORT_FORMATS), default="")


class LookupForm(FlaskForm):
    """Paste an identifier to add a study by it."""

    identifier = StringField(
        "DOI, PMID or PMCID", validators=[DataRequired(message="Paste a DOI, a PMID or a PMCID."), Length(max=2000)],
        description="For example 10.1126/scitranslmed.aan0026, https://doi.org/…, 28679654, PMC5609456, or the "
                    "study's PubMed or publisher address.")


class ReviewForm(StudyForm):
    """A looked-up study to check and save, with the notices found about it."""

    notices = HiddenField()
    source = HiddenField()
