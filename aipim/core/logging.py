"""Logging filters that keep personal data out of the logs."""

import logging
import re

_QUERY = re.compile(r"\?[^\s\"']*")


class StripQueryStringFilter(logging.Filter):
    """Drop query strings from request lines: a search term may be a person's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("?…", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub("?…", record.msg)
        return True
