"""Shared helpers for the SDL tests: fixture locations and a small valid SDL to mutate."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdl import SdlError, SdlIssue, parse_sdl

DATA = Path(__file__).parent.parent / "data" / "sdl"

BASE_SDL = """\
version: "2.0"
services:
  web:
    image: nginx:1.25
    env:
      - MODE=prod
    expose:
      - port: 80
        as: 80
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.5
        memory:
          size: 512Mi
        storage:
          size: 1Gi
  placement:
    dc:
      pricing:
        web:
          denom: uakt
          amount: 100
deployment:
  web:
    dc:
      profile: web
      count: 1
"""


def issues_of(text: str) -> list[SdlIssue]:
    """The issues an SDL text is refused with (fails the test if it is accepted)."""
    with pytest.raises(SdlError) as caught:
        parse_sdl(text)
    return caught.value.issues


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """1-based number of the line of `text` holding the `occurrence`-th (from 0) `needle`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            if seen == occurrence:
                return number
            seen += 1
    raise AssertionError(f"{needle!r} not in the text")
