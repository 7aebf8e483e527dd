"""Review-trigger indicators and governor reports for a school's staff social media policy."""

__version__ = "0.1.0"
