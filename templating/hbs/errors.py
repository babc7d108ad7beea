from __future__ import annotations


class TemplateSyntaxError(Exception):
    """A Handlebars syntax error at a 1-based line and column of the part's source."""

    def __init__(self, line: int, column: int, message: str, offset: int = 0) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.offset = offset


class NestingLimitError(TemplateSyntaxError):
    """The part nests deeper than ses2mt's parser goes (handlebars.js itself has no such limit)."""
