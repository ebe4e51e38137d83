from .parser import ParseError, Settings

__all__ = ["ParseError", "Settings"]
