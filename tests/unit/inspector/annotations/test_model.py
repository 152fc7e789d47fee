"""What a note may say and link to."""

from __future__ import annotations

import pytest

from inspector.annotations import Target, check_plot_link, check_text
from inspector.errors import InvalidParameter


def test_text_is_one_line_of_plain_text() -> None:
    assert check_text("  <script>alert(1)</script> ") == "<script>alert(1)</script>"
    assert check_text("é ✓ 日本") == "é ✓ 日本"
    for bad, message in [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 1001, "1001 characters long; at most 1000"),
        ("two\nlines", "U\\+000A at position 3"),
        ("bell\x07", "U\\+0007"),
        ("abc\u202eevil", "U\\+202E"),
        (3, "must be a string"),
    ]:
        with pytest.raises(InvalidParameter, match=message):
            check_text(bad)


def test_plot_links_stay_on_this_server() -> None:
    link = "/plot/beamspot.position_x?db=demo&tag=T&since=1:2"
    assert check_plot_link(link) == link
    for bad in ("javascript:alert(1)", "https://evil.example/plot/x", "//evil/plot/x", "/tags/x"):
        with pytest.raises(InvalidParameter, match="plot link of this server"):
            check_plot_link(bad)
    with pytest.raises(InvalidParameter, match="one of tag, iov, plot"):
        Target.parse("run")
