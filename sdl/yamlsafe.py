"""A bounded, position-keeping YAML reader for SDL files.

The reader turns a YAML document into a small tree of `YNode` objects that keep the *raw*
scalar text (Go's yaml.v3 hands string fields the exact source text, so `amount: 0.0000001`
must stay "0.0000001" and `persistent: true` must stay "true") together with the line and
column where each node starts.

It is built on the event stream of PyYAML's safe parser (libyaml's C parser when present), so
no Python object is ever constructed from a tag, and it refuses hostile input cleanly:

- files above `MAX_FILE_BYTES`;
- more than `MAX_ALIAS_NODES` nodes reached through aliases ("billion laughs"); aliases are
  never copied, a referenced subtree is shared, so the check costs nothing;
- nesting deeper than `MAX_DEPTH`;
- duplicate keys in one mapping (keys brought in by a `<<` merge may be overridden);
- tags other than the YAML core ones, and more than one document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import yaml
from yaml import events as ev

MAX_FILE_BYTES: Final = 1024 * 1024
MAX_ALIAS_NODES: Final = 10_000
MAX_DEPTH: Final = 64

SCALAR: Final = 0
MAPPING: Final = 1
SEQUENCE: Final = 2

_CORE_TAG_PREFIX: Final = "tag:yaml.org,2002:"
_KIND_TAGS: Final = {
    SCALAR: {"str", "int", "float", "bool", "null"},
    MAPPING: {"map"},
    SEQUENCE: {"seq"},
}

try:
    _Parser: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml is missing
    _Parser = yaml.SafeLoader


class YamlError(Exception):
    """The text is not a YAML document this reader accepts; carries a 1-based position."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YNode:
    """One node of the document: a scalar, a mapping or a sequence, with its position.

    `value` is the raw text for a scalar (None for a YAML null), a dict of key text to
    (key node, value node) for a mapping, and a list of nodes for a sequence. `plain` tells
    whether a scalar was written without quotes (only plain scalars can be numbers, booleans
    or null). `tag` is the short core tag written explicitly (`!!str` gives "str"), if any.
    """

    __slots__ = ("column", "kind", "line", "plain", "size", "tag", "value")

    def __init__(
        self,
        kind: int,
        value: object,
        line: int,
        column: int,
        plain: bool = False,
        tag: str | None = None,
    ) -> None:
        self.kind = kind
        self.value = value
        self.line = line
        self.column = column
        self.plain = plain
        self.tag = tag
        self.size = 1

    @property
    def text(self) -> str | None:
        """The scalar's raw text, or None for null (only valid on scalars)."""
        return self.value  # type: ignore[return-value]

    @property
    def mapping(self) -> dict[str, tuple[YNode, YNode]]:
        return self.value  # type: ignore[return-value]

    @property
    def items(self) -> list[YNode]:
        return self.value  # type: ignore[return-value]

    @property
    def is_null(self) -> bool:
        return self.kind == SCALAR and self.value is None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"YNode({self.kind}, {self.value!r}, {self.line}:{self.column})"


@dataclass
class _OpenMapping:
    node: YNode
    anchor: str | None
    pending_key: YNode | None
    merges: list[YNode]


@dataclass
class _OpenSequence:
    node: YNode
    anchor: str | None


_NULL_WORDS: Final = frozenset({"", "~", "null", "Null", "NULL"})


def _short_tag(tag: str | None, kind: int, line: int, column: int) -> str | None:
    if tag is None or tag == "!":
        return None
    if not tag.startswith(_CORE_TAG_PREFIX) or tag[len(_CORE_TAG_PREFIX) :] not in _KIND_TAGS[kind]:
        raise YamlError(f"unsupported YAML tag {tag!r}", line, column)
    return tag[len(_CORE_TAG_PREFIX) :]


def _mark(event: ev.Event) -> tuple[int, int]:
    mark = event.start_mark
    if mark is None:  # pragma: no cover - both parsers always set marks
        return 0, 0
    return mark.line + 1, mark.column + 1


def load(data: str | bytes) -> YNode:
    """Read one YAML document into a tree of positioned nodes.

    Raises YamlError for text that is not YAML, breaks a cap, repeats a key, uses a tag outside
    the YAML core schema, or holds more than one document. An empty file gives a null node.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise YamlError(f"file is {len(raw)} bytes, larger than the {MAX_FILE_BYTES}-byte limit")
    try:
        return _build(raw)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = error.problem or str(error)
        context = f" ({error.context})" if error.context else ""
        raise YamlError(f"not valid YAML: {problem}{context}", line, column) from None
    except yaml.YAMLError as error:
        raise YamlError(f"not valid YAML: {error}") from None
    except UnicodeDecodeError as error:
        raise YamlError(f"file is not UTF-8 text: {error.reason}") from None


def _build(raw: bytes) -> YNode:
    parser = _Parser(raw)
    anchors: dict[str, YNode] = {}
    stack: list[_OpenMapping | _OpenSequence] = []
    alias_nodes = 0
    documents = 0
    root: YNode | None = None
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            etype = type(event)
            node: YNode | None = None
            anchor: str | None = None
            if etype is ev.ScalarEvent:
                line, column = _mark(event)
                tag = _short_tag(event.tag, SCALAR, line, column)
                plain = not event.style
                value: str | None = event.value
                if (plain and tag is None and value in _NULL_WORDS) or tag == "null":
                    value = None
                node = YNode(SCALAR, value, line, column, plain, tag)
                anchor = event.anchor
            elif etype is ev.MappingStartEvent or etype is ev.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    line, column = _mark(event)
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, column)
                line, column = _mark(event)
                if etype is ev.MappingStartEvent:
                    tag = _short_tag(event.tag, MAPPING, line, column)
                    opened = YNode(MAPPING, {}, line, column, tag=tag)
                    stack.append(_OpenMapping(opened, event.anchor, None, []))
                else:
                    tag = _short_tag(event.tag, SEQUENCE, line, column)
                    opened = YNode(SEQUENCE, [], line, column, tag=tag)
                    stack.append(_OpenSequence(opened, event.anchor))
                continue
            elif etype is ev.MappingEndEvent:
                frame = stack.pop()
                assert isinstance(frame, _OpenMapping)
                node = frame.node
                anchor = frame.anchor
                _apply_merges(frame)
                node.size = 1 + sum(k.size + v.size for k, v in node.mapping.values())
            elif etype is ev.SequenceEndEvent:
                frame = stack.pop()
                node = frame.node
                anchor = frame.anchor
                node.size = 1 + sum(item.size for item in node.items)
            elif etype is ev.AliasEvent:
                line, column = _mark(event)
                target = anchors.get(event.anchor)
                if target is None:
                    raise YamlError(
                        f"alias *{event.anchor} refers to no complete anchor", line, column
                    )
                alias_nodes += target.size
                if alias_nodes > MAX_ALIAS_NODES:
                    raise YamlError(
                        f"aliases expand to more than {MAX_ALIAS_NODES} nodes", line, column
                    )
                node = target
            elif etype is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    line, column = _mark(event)
                    next_event = parser.peek_event()
                    if not (
                        type(next_event) is ev.ScalarEvent
                        and not next_event.style
                        and next_event.value == ""
                    ):
                        raise YamlError("more than one YAML document in the file", line, column)
                continue
            elif etype is ev.StreamEndEvent:
                break
            else:  # stream start, document end
                continue

            if anchor is not None:
                anchors[anchor] = node
            if not stack:
                if root is None:
                    root = node
                continue
            top = stack[-1]
            if isinstance(top, _OpenSequence):
                top.node.items.append(node)
            elif top.pending_key is None:
                if node.kind != SCALAR:
                    raise YamlError("a mapping key must be a scalar", node.line, node.column)
                top.pending_key = node
            else:
                key = top.pending_key
                top.pending_key = None
                _add_entry(top, key, node)
    finally:
        parser.dispose()
    return root if root is not None else YNode(SCALAR, None, 1, 1, True)


def _add_entry(frame: _OpenMapping, key: YNode, value: YNode) -> None:
    if key.plain and key.tag is None and key.value == "<<":
        frame.merges.append(value)
        return
    text = key.value if key.value is not None else ""
    assert isinstance(text, str)
    mapping = frame.node.mapping
    if text in mapping:
        first = mapping[text][0]
        raise YamlError(
            f'mapping key "{text}" already defined at line {first.line}:{first.column}',
            key.line,
            key.column,
        )
    mapping[text] = (key, value)


def _apply_merges(frame: _OpenMapping) -> None:
    """Bring in keys from `<<` merges; explicit keys win, earlier merge sources win."""
    mapping = frame.node.mapping
    for merge in frame.merges:
        sources = merge.items if merge.kind == SEQUENCE else [merge]
        for source in sources:
            if source.kind != MAPPING:
                raise YamlError(
                    "a merge key (<<) needs a mapping or a list of mappings",
                    source.line,
                    source.column,
                )
            for text, entry in source.mapping.items():
                if text not in mapping:
                    mapping[text] = entry
