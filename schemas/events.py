"""Events: the record as the API returns it, its filters, and the codebook."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coder.dedup import MODES
from coder.formats import FORMATS
from coder.layouts import LAYOUTS, QUAD_SCHEMES
from coder.record import RECORD_FIELDS

# The CSV header: the coder's record, in its own order.
CSV_COLUMNS: tuple[str, ...] = RECORD_FIELDS
# \A and \Z, not ^ and $ (which allow a trailing newline); [0-9], not \d (any script's digits).
_CODE = validate.Regexp(r"\A[A-Z]{1,40}\Z", error="An actor code prefix: capital letters only.")
_EVENT_CODE = validate.Regexp(r"\A[0-9]{1,4}\Z", error="A CAMEO code prefix: 1 to 4 digits.")
DATE_ERROR = "A date: YYYY, YYYY-MM or YYYY-MM-DD."
# What the OpenAPI document says of a date filter and a bounding box; the checks below are
# stricter (a real calendar date, corners in order), which a pattern cannot say.
DATE_DOC = {"pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$", "description": DATE_ERROR}
_NUMBER = r"-?[0-9]+(\.[0-9]+)?"
BBOX_DOC = {"type": "string", "pattern": f"^{_NUMBER}(,{_NUMBER}){{3}}$",
            "description": "min_lon,min_lat,max_lon,max_lat"}  # fmt: skip


def check_partial_date(value: str) -> None:
    """Accept a real year, month or day in ISO form (2021, 2021-12, 2021-12-07)."""
    padded = {4: "-01-01", 7: "-01", 10: ""}.get(len(value))
    if padded is None or not (value[:4].isascii() and value[:4].isdigit()):
        raise ValidationError(DATE_ERROR)
    try:
        date.fromisoformat(value + padded)
    except ValueError as error:
        raise ValidationError(DATE_ERROR) from error


class BoundingBox(fields.Field):
    """A bounding box "min_lon,min_lat,max_lon,max_lat" in degrees (GeoJSON's order)."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "invalid": "Four numbers: min_lon,min_lat,max_lon,max_lat (e.g. 5.9,45.8,10.5,47.8).",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple:
        """Parse and check the four corners."""
        try:
            west, south, east, north = (float(part) for part in str(value).split(","))
        except ValueError as error:
            raise self.make_error("invalid") from error
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise self.make_error("invalid")
        return west, south, east, north


class EventQuery(Schema):
    """Filters shared by every events endpoint."""

    job_id = fields.String(
        validate=validate.Regexp(r"\A[0-9a-f]{32}\Z", error="A job id: 32 hexadecimal digits.")
    )
    article_id = fields.Integer(validate=validate.Range(min=1, max=2**63 - 1))
    date_from = fields.String(validate=check_partial_date, metadata=DATE_DOC)
    date_to = fields.String(validate=check_partial_date, metadata=DATE_DOC)
    source = fields.String(validate=_CODE)
    target = fields.String(validate=_CODE)
    event_code = fields.String(validate=_EVENT_CODE)
    quad_class = fields.Integer(validate=validate.Range(min=1, max=4))
    location_country = fields.String(
        validate=validate.Regexp(r"\A[A-Z]{2}\Z", error="An ISO 3166 alpha-2 code, e.g. CH.")
    )
    bbox = BoundingBox(metadata=BBOX_DOC)
    country = fields.String(
        validate=validate.Regexp(r"\A[A-Z]{3}\Z", error="An ISO 3166 alpha-3 code, e.g. RUS.")
    )

    @validates_schema
    def _ordered_dates(self, data: dict, **_: object) -> None:
        """Refuse a date range that ends before it starts."""
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("date_from is after date_to.", "date_to")


DEDUP_DOC = (
    "none; story: one per article; day: one per day; cluster: the same pair of actors and "
    "CAMEO root within ±1 day, across articles."
)


class EventPageQuery(EventQuery):
    """Filters plus keyset paging for GET /events."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(validate=validate.Length(max=2000))
    dedup = fields.String(load_default="none", validate=validate.OneOf(MODES),
                          metadata={"description": DEDUP_DOC})  # fmt: skip


class CsvQuery(EventQuery):
    """Filters plus compression and deduplication for the CSV exports."""

    gzip = fields.Boolean(load_default=False)
    dedup = fields.String(load_default="none", validate=validate.OneOf(MODES),
                          metadata={"description": DEDUP_DOC})  # fmt: skip


OFFSET = (
    "Character offset into the article text as submitted: text[start:end] is the cited span; "
    "null when the span could not be placed (HTML markup runs through its sentence)."
)


class ExportQuery(CsvQuery):
    """Filters plus the layout, format, deduplication and quad-class scheme of a download."""

    layout = fields.String(
        load_default="native", validate=validate.OneOf(sorted(LAYOUTS)),
        metadata={"description": "Columns: ours (native) or GDELT's, Phoenix's, ICEWS's, "
                  "PETRARCH's or PLOVER's."},
    )  # fmt: skip
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))
    quad_scheme = fields.String(
        validate=validate.OneOf(sorted(QUAD_SCHEMES)),
        metadata={"description": "standard (GDELT, ICEWS) or phoenix (penta class); "
                  "by default the layout's own."},
    )  # fmt: skip


class JobExportQuery(ExportQuery):
    """A job's download: the job comes from the path."""

    class Meta:
        exclude = ("job_id",)


class MentionsQuery(EventQuery):
    """The deduplication mode (and filters) under which an event's mentions were merged."""

    dedup = fields.String(load_default="cluster", validate=validate.OneOf(MODES))


class MentionsOut(Schema):
    """The mentions merged into one event."""

    event_id = fields.String()
    dedup = fields.String()
    num_mentions = fields.Integer()
    num_articles = fields.Integer()
    mentions = fields.List(fields.Nested(lambda: MentionOut(only=MENTION_FIELDS)))


class JobCsvQuery(CsvQuery):
    """The CSV export of one job: the job comes from the path."""

    class Meta:
        exclude = ("job_id",)


class EventOut(Schema):
    """One coded event: the coder's flat record."""

    article_id = fields.Integer()
    event_id = fields.String()
    sentence_index = fields.Integer()
    sentence = fields.String()
    source_code = fields.String()
    source_name = fields.String()
    source_text = fields.String()
    source_start = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    source_end = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    target_code = fields.String()
    target_name = fields.String()
    target_text = fields.String()
    target_start = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    target_end = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    event_code = fields.String()
    event_base_code = fields.String()
    event_root_code = fields.String()
    quad_class = fields.Integer()
    goldstein = fields.Float()
    event_text = fields.String()
    event_start = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    event_end = fields.Integer(allow_none=True, metadata={"description": OFFSET})
    negated = fields.Boolean()
    hypothetical = fields.Boolean()
    future = fields.Boolean()
    confidence = fields.Float()
    date = fields.String(metadata={"description": "ISO 8601 at its precision (a week: its Monday)"})
    date_precision = fields.String(metadata={"enum": ["day", "week", "month", "year", "decade"]})
    date_text = fields.String(metadata={"description": "The words the date came from."})
    date_source = fields.String(
        metadata={"enum": ["text", "dateline", "publication", "ingested"]}
    )
    location_name = fields.String()
    location_country = fields.String(metadata={"description": "ISO 3166 alpha-2"})
    admin1 = fields.String(metadata={"description": "GeoNames first-level division code"})
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    geonameid = fields.Integer(allow_none=True)
    location_precision = fields.String(metadata={"enum": ["city", "admin1", "country", ""]})
    location_reason = fields.String(metadata={"enum": ["clause", "sentence", "dateline", ""]})
    coder_version = fields.String()
    dictionary_version = fields.String()
    # Only on merged events (?dedup= other than none).
    num_mentions = fields.Integer()
    num_articles = fields.Integer()
    num_sources = fields.Integer()
    first_mention = fields.String(allow_none=True)
    last_mention = fields.String(allow_none=True)
    article_ids = fields.List(fields.String())
    urls = fields.List(fields.String())
    sources = fields.List(fields.String())
    mention_ids = fields.List(fields.String(), metadata={"description": "The merge log."})


class EventPage(Schema):
    """A page of events with the cursor of the next."""

    events = fields.List(fields.Nested(EventOut))
    next_cursor = fields.String(allow_none=True)
    links = fields.Dict()


class CodebookEntry(Schema):
    """One CAMEO event code."""

    code = fields.String()
    name = fields.String()
    root = fields.String()
    quad_class = fields.Integer()
    goldstein = fields.Float()


class CodebookPage(Schema):
    """Every CAMEO event code the coder knows."""

    codes = fields.List(fields.Nested(CodebookEntry))


class MentionOut(EventOut):
    """One coded mention merged into an event: where it was read, and the words it cites."""

    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "The outlet."})
    published_at = fields.String(allow_none=True)


MENTION_FIELDS = (
    "event_id", "article_id", "url", "source", "published_at", "date", "sentence_index",
    "sentence", "source_code", "target_code", "event_code", "source_text", "source_start",
    "source_end", "target_text", "target_start", "target_end", "event_text", "event_start",
    "event_end",
)  # fmt: skip


class SummaryQuery(EventQuery):
    """Filters plus how many dyads to name."""

    top = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class DayCounts(Schema):
    """One day's events by quad class (1 verbal cooperation ... 4 material conflict)."""

    date = fields.String()
    quad_classes = fields.Dict(keys=fields.String(), values=fields.Integer())


class DyadCount(Schema):
    """A pair of actor roots (country or organization kind) and its number of events."""

    source = fields.String()
    target = fields.String()
    events = fields.Integer()


class SummaryOut(Schema):
    """A look at the matching events before downloading them (every coded mention counts)."""

    total = fields.Integer()
    dated_to_the_day = fields.Integer(
        metadata={"description": "Events dated to a day; the others (a month, a year) are "
                  "counted in total but not by day."}
    )  # fmt: skip
    by_day = fields.List(fields.Nested(DayCounts))
    top_dyads = fields.List(fields.Nested(DyadCount))
