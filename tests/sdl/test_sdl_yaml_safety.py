"""Hostile or unusual YAML is refused cleanly; anchors and merges within the caps still work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sdl_helpers import BASE_SDL, issues_of

from sdl import MAX_FILE_BYTES, SdlError, parse_sdl, parse_sdl_file


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['version: "2.0"', "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    started = time.perf_counter()
    (issue,) = issues_of("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1.0
    assert "aliases expand to more than" in issue.message
    assert issue.line > 0


def test_file_over_the_size_cap_is_refused() -> None:
    text = BASE_SDL + "#" * MAX_FILE_BYTES
    (issue,) = issues_of(text)
    assert "larger than the 1048576-byte limit" in issue.message


def test_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(SdlError, match="larger than"):
        parse_sdl_file(path)


def test_duplicate_key_is_refused_with_both_positions() -> None:
    text = BASE_SDL.replace("    image: nginx:1.25\n", "    image: nginx:1.25\n    image: evil\n")
    (issue,) = issues_of(text)
    assert issue.message == 'mapping key "image" already defined at line 4:5'
    assert (issue.line, issue.column) == (5, 5)


def test_duplicate_top_level_key_is_refused() -> None:
    (issue,) = issues_of(BASE_SDL + 'version: "2.1"\n')
    assert "already defined" in issue.message


ANCHORED_SDL = """\
version: "2.0"
services:
  web:
    image: nginx:1.25
    expose:
      - &http
        port: 80
        as: 80
        to: [{global: true}]
  api:
    image: api:1
    expose:
      - *http
profiles:
  compute:
    small:
      resources: &small
        cpu: {units: 0.5}
        memory: {size: 512Mi}
        storage: {size: 1Gi}
    big:
      resources:
        <<: *small
        memory: {size: 1Gi}
  placement:
    dc:
      pricing:
        small: &price {denom: uakt, amount: 100}
        big: *price
deployment:
  web:
    dc: &one {profile: small, count: 1}
  api:
    dc:
      <<: *one
      profile: big
"""


def test_anchors_aliases_and_merge_keys_work() -> None:
    sdl = parse_sdl(ANCHORED_SDL)
    assert sdl.services["api"].expose == sdl.services["web"].expose
    big = sdl.compute["big"]
    assert big.cpu_millicores == 500
    assert big.memory_bytes == 1024**3  # the explicit key wins over the merged one
    assert sdl.placements["dc"].pricing["big"] == sdl.placements["dc"].pricing["small"]
    api = next(entry for entry in sdl.deployment if entry.service == "api")
    assert (api.profile, api.count) == ("big", 1)


def test_python_tags_are_refused() -> None:
    text = BASE_SDL.replace("image: nginx:1.25", "image: !!python/object/apply:os.system [ls]")
    (issue,) = issues_of(text)
    assert "unsupported YAML tag" in issue.message
    assert issue.line == 4


def test_deep_nesting_is_refused() -> None:
    text = BASE_SDL + "junk: " + "[" * 200 + "]" * 200 + "\n"
    issues = issues_of(text)
    assert any("nesting deeper than" in issue.message for issue in issues)


def test_several_documents_are_refused() -> None:
    (issue,) = issues_of(BASE_SDL + "---\nversion: '2.0'\n")
    assert "more than one YAML document" in issue.message


def test_a_trailing_document_marker_is_fine() -> None:
    assert parse_sdl("---\n" + BASE_SDL + "---\n")


def test_non_utf8_bytes_are_refused() -> None:
    (issue,) = issues_of(BASE_SDL.encode() + b"\xff\xfe")  # type: ignore[arg-type]
    assert "not valid YAML" in issue.message or "UTF-8" in issue.message


def test_broken_yaml_reports_line_and_column() -> None:
    (issue,) = issues_of(BASE_SDL.replace("    image: nginx:1.25\n", "    image: [nginx\n"))
    assert issue.message.startswith("not valid YAML")
    assert issue.line > 0 and issue.column > 0


def test_a_plain_yaml_list_is_not_an_sdl() -> None:
    (issue,) = issues_of("- a\n- b\n")
    assert "must be a YAML mapping" in issue.message


def test_empty_file_is_refused() -> None:
    issues = issues_of("")
    assert "must be a YAML mapping" in issues[0].message


def test_raw_text_is_kept_for_string_fields() -> None:
    text = BASE_SDL.replace("amount: 100", "amount: 0.0000001").replace(
        "        to:\n", "        http_options:\n          next_cases: [off]\n        to:\n"
    )
    sdl = parse_sdl(text)
    assert sdl.placements["dc"].pricing["web"].amount == 100_000_000_000
    (group,) = sdl.groups()
    assert group.resources[0].price.amount_text == "0.000000100000000000"
    expose = sdl.manifest().groups[0].services[0].expose[0]
    assert expose.http_options.next_cases == ("off",)


def test_quoting_and_layout_do_not_change_the_result() -> None:
    quoted = (
        BASE_SDL.replace("units: 0.5", 'units: "0.5"')
        .replace("size: 512Mi", "size: '512Mi'")
        .replace("image: nginx:1.25", 'image: "nginx:1.25"')
        .replace("amount: 100", 'amount: "100"')
    )
    assert parse_sdl(quoted) == parse_sdl(BASE_SDL)
    assert parse_sdl(quoted).manifest_hash() == parse_sdl(BASE_SDL).manifest_hash()


def test_pure_python_parser_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from sdl import yamlsafe

    text = ANCHORED_SDL
    with_libyaml = parse_sdl(text)
    monkeypatch.setattr(yamlsafe, "_Parser", yaml.SafeLoader)
    without = parse_sdl(text)
    assert without == with_libyaml
    assert without.manifest_hash() == with_libyaml.manifest_hash()
    (issue,) = issues_of(BASE_SDL + "services: {}\n")
    assert "already defined" in issue.message
