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

from typing import Any, Final

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

_Parser: Any
try:  # libyaml's parser alone: no constructor or resolver is ever set up
    from yaml._yaml import CParser

    _Parser = CParser
except ImportError:  # pragma: no cover - libyaml is missing
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
    ) -> None:  # keyword-free and flat: called once per node
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


_NULL_WORDS: Final = frozenset({"", "~", "null", "Null", "NULL"})


def _short_tag(tag: str | None, kind: int, line: int, column: int) -> str | None:
    if tag is None or tag == "!":
        return None
    if not tag.startswith(_CORE_TAG_PREFIX) or tag[len(_CORE_TAG_PREFIX) :] not in _KIND_TAGS[kind]:
        raise YamlError(f"unsupported YAML tag {tag!r}", line, column)
    return tag[len(_CORE_TAG_PREFIX) :]


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
    """Turn the parser's events into nodes; a hot loop, so written flat and with local names."""
    parser: Any = _Parser(raw)
    get_event = parser.get_event
    scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
    mapping_start, mapping_end = ev.MappingStartEvent, ev.MappingEndEvent
    sequence_start, sequence_end = ev.SequenceStartEvent, ev.SequenceEndEvent
    null_words = _NULL_WORDS
    anchors: dict[str, YNode] = {}
    # The open container is kept in locals; the ones around it are saved on `stack`.
    stack: list[tuple[Any, ...]] = []
    container: YNode | None = None
    container_anchor: str | None = None
    entries: dict[str, tuple[YNode, YNode]] | None = None  # set while in a mapping
    items: list[YNode] | None = None  # set while in a sequence
    pending: YNode | None = None  # a mapping key waiting for its value
    merges: list[YNode] | None = None
    alias_nodes = 0
    documents = 0
    root: YNode | None = None
    try:
        while True:
            event: Any = get_event()
            etype = type(event)
            if etype is scalar_event:
                mark = event.start_mark
                tag = event.tag
                value: str | None = event.value
                plain = not event.style
                if tag is not None:
                    tag = _short_tag(tag, SCALAR, mark.line + 1, mark.column + 1)
                    if tag == "null":
                        value = None
                elif plain and value in null_words:
                    value = None
                node = YNode(SCALAR, value, mark.line + 1, mark.column + 1, plain, tag)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif etype is mapping_start or etype is sequence_start:
                mark = event.start_mark
                line, column = mark.line + 1, mark.column + 1
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, column)
                kind = MAPPING if etype is mapping_start else SEQUENCE
                tag = _short_tag(event.tag, kind, line, column) if event.tag else None
                stack.append((container, container_anchor, entries, items, pending, merges))
                if kind == MAPPING:
                    entries, items = {}, None
                    container = YNode(MAPPING, entries, line, column, False, tag)
                else:
                    entries, items = None, []
                    container = YNode(SEQUENCE, items, line, column, False, tag)
                container.size = 0  # not counted yet, see _size
                container_anchor, pending, merges = event.anchor, None, None
                continue
            elif etype is mapping_end or etype is sequence_end:
                node = container  # type: ignore[assignment]
                if merges:
                    _apply_merges(node, merges)
                if container_anchor is not None:
                    _size(node)
                    anchors[container_anchor] = node
                container, container_anchor, entries, items, pending, merges = stack.pop()
            elif etype is alias_event:
                target = anchors.get(event.anchor)
                mark = event.start_mark
                if target is None:
                    raise YamlError(
                        f"alias *{event.anchor} refers to no complete anchor",
                        mark.line + 1,
                        mark.column + 1,
                    )
                alias_nodes += target.size
                if alias_nodes > MAX_ALIAS_NODES:
                    raise YamlError(
                        f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                        mark.line + 1,
                        mark.column + 1,
                    )
                node = target
            elif etype is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    next_event = parser.peek_event()
                    if not (
                        type(next_event) is scalar_event
                        and not next_event.style
                        and next_event.value == ""
                    ):
                        raise YamlError(
                            "more than one YAML document in the file",
                            mark.line + 1,
                            mark.column + 1,
                        )
                continue
            elif etype is ev.StreamEndEvent:
                break
            else:  # stream start, document end
                continue

            if items is not None:
                items.append(node)
            elif entries is not None:
                if pending is None:
                    if node.kind != SCALAR:
                        raise YamlError("a mapping key must be a scalar", node.line, node.column)
                    pending = node
                    continue
                key, pending = pending, None
                if key.plain and key.tag is None and key.value == "<<":
                    if merges is None:
                        merges = []
                    merges.append(node)
                    continue
                text: str = key.value if key.value is not None else ""  # type: ignore[assignment]
                if text in entries:
                    first = entries[text][0]
                    raise YamlError(
                        f'mapping key "{text}" already defined at line {first.line}:{first.column}',
                        key.line,
                        key.column,
                    )
                entries[text] = (key, node)
            elif root is None:
                root = node
    finally:
        parser.dispose()
    return root if root is not None else YNode(SCALAR, None, 1, 1, True)


def _size(node: YNode) -> int:
    """How many nodes `node` stands for, aliases expanded (computed once per container)."""
    if node.size:
        return node.size
    if node.kind == MAPPING:
        total = 1 + sum(_size(key) + _size(value) for key, value in node.mapping.values())
    else:
        total = 1 + sum(_size(item) for item in node.items)
    node.size = total
    return total


def _apply_merges(node: YNode, merges: list[YNode]) -> None:
    """Bring in keys from `<<` merges; explicit keys win, earlier merge sources win."""
    mapping = node.mapping
    for merge in merges:
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


def locate(root: YNode, path: str) -> tuple[int, int, bool]:
    """Where a YAML path (`services.web.expose[0].port`) is in the document.

    Returns (line, column, found). A scalar is placed at its value, a mapping or list at its
    key; when the path does not exist, the deepest part of it that does is used.
    """
    node = root
    key: YNode | None = None
    rest = path
    while rest:
        if node.kind == MAPPING:
            best = ""
            for text in node.mapping:
                if len(text) > len(best) and rest.startswith(text):
                    after = rest[len(text) : len(text) + 1]
                    if after in ("", ".", "["):
                        best = text
            if not best and "" not in node.mapping:
                break
            key, node = node.mapping[best]
            rest = rest[len(best) :]
            rest = rest[1:] if rest.startswith(".") else rest
        elif node.kind == SEQUENCE and rest.startswith("["):
            end = rest.find("]")
            index_text = rest[1:end]
            if end < 0 or not index_text.isdigit() or int(index_text) >= len(node.items):
                break
            key, node = None, node.items[int(index_text)]
            rest = rest[end + 1 :]
            rest = rest[1:] if rest.startswith(".") else rest
        else:
            break
    place = node if node.kind == SCALAR or key is None else key
    if place.line == 0:  # a synthetic node
        place = root
    return place.line, place.column, not rest
