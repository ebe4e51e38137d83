import pytest

from settings import ParseError, Settings

TEXT = """
# service configuration
[server]
host = example.org
port = 8080   # default http-alt

[features]
beta = yes
"""


@pytest.fixture
def settings():
    return Settings.parse(TEXT)


def test_sections(settings):
    assert settings.sections() == ["server", "features"]


def test_get_strips_comments(settings):
    assert settings.get("server", "host") == "example.org"
    assert settings.get_int("server", "port") == 8080


def test_get_bool(settings):
    assert settings.get_bool("features", "beta") is True


def test_missing_key_uses_default(settings):
    assert settings.get("server", "timeout", "30s") == "30s"


def test_get_int_default(settings):
    assert settings.get_int("server", "workers", 4) == 4


def test_parse_error_reports_line():
    with pytest.raises(ParseError, match="line 2"):
        Settings.parse("[a]\nnot a setting")
