"""The self-contained HTML pages: a batch's report (``sim report``) and a search's (``sim search``)."""

from .page import ReportError, refuse_search, write_report

__all__ = ["ReportError", "refuse_search", "write_report"]
