"""One palette for the whole app: Okabe–Ito, readable with every common colour-vision
deficiency and on light and dark backgrounds. Status is never colour alone: the words
and symbols that go with each colour are ``metrics.present``'s.

    status_badge("off_track")  # ':red[✗ Off track]'
"""

from __future__ import annotations

from metrics.present import status_text

# Okabe & Ito (2008), "Color Universal Design"; black left out (invisible in dark mode).
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"

SERIES = [BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, YELLOW]
TARGET = GREY  # target lines and bands: neutral, dashed
BAND = "rgba(0, 158, 115, 0.14)"  # the target-to-stretch band (GREEN, faint)

STATUS_COLOURS = {
    "ahead": BLUE,
    "on_track": GREEN,
    "off_track": VERMILLION,
    "no_data": GREY,
    "no_baseline": PURPLE,
}
# Streamlit markdown colour names closest to the palette, for badges: :blue[✓ On track].
_BADGE = {"ahead": "blue", "on_track": "green", "off_track": "red", "no_data": "gray",
          "no_baseline": "violet"}

LOOKBACK_COLOURS = {"5m": SKY_BLUE, "30m": PURPLE, "1h": VERMILLION, "2h": YELLOW,
                    "6h": ORANGE, "1d": BLUE, "3d": GREEN}


def status_badge(status: str | None) -> str:
    """Streamlit markdown, coloured and worded: ':green[✓ On track]'."""
    status = status or "no_data"
    return f":{_BADGE.get(status, 'gray')}[{status_text(status)}]"

