"""Fields that refuse what a database or a spreadsheet cannot hold."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def check_storable(text: str) -> None:
    """Refuse NUL characters and unpaired surrogates, which no UTF-8 store can hold."""
    found = _UNSAFE.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise ValidationError("Contains a NUL character.")
    raise ValidationError("Contains an unpaired surrogate (not valid Unicode).")


class Text(fields.String):
    """A string that can be stored and exported: no NUL, no lone surrogates."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        """Load a string and check it can be stored."""
        text = super()._deserialize(value, attr, data, **kwargs)
        check_storable(text)
        return text


class ClientId(Text):
    """A client's own id: a string, or a number taken as its decimal string."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        """Accept integers as ids, as spreadsheets and JSON Lines exports often write them."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class PublishedAt(fields.Field):
    """An ISO 8601 date or datetime, kept as given at its own precision (normalised)."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "invalid": "Not an ISO 8601 date or datetime (e.g. 2021-12-07 or 2021-12-07T14:00:00Z)."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        """Parse the value and return it in canonical ISO form."""
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            return datetime.fromisoformat(text).isoformat()
        except ValueError as error:
            raise self.make_error("invalid") from error

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        """Return the stored string."""
        return value
