"""YAML for configuration files, read with limits so that a small file cannot cost much.

YAML lets a few hundred bytes describe an enormous document: an anchor referenced ten times,
each reference holding ten references to the next anchor, expands to ten billion values
("billion laughs"). Nothing downstream of the parser can then be trusted to stay cheap: not
validation, not an error message that echoes the value. So the loader here counts the document
as if every alias were expanded and stops at a small budget; it also limits nesting depth (the
composer recurses once per level), refuses duplicate keys (YAML says they are an error, PyYAML
lets the last one win) and refuses integers too long to be any config value (Python refuses to
convert very long digit strings, and would raise a bare ``ValueError`` mid-parse).

Only the safe tags are constructed (``yaml.SafeConstructor``): no Python objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import yaml

try:  # libyaml, in PyYAML's wheels for every common platform
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - the slower pure-Python parser, same events
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode
from yaml.resolver import Resolver

__all__ = ["YamlLimits", "YamlLimitError", "LIMITS", "load_yaml"]


@dataclass(frozen=True)
class YamlLimits:
    """Limits on one YAML document.

    Attributes:
        max_nodes: values in the document with every alias expanded (a shipped config has a
            few hundred).
        max_depth: nesting of mappings and lists (a config nests at most about six deep).
        max_int_digits: digits of an integer (every config integer has at most 19 digits).
    """

    max_nodes: int = 20_000
    max_depth: int = 32
    max_int_digits: int = 30


LIMITS = YamlLimits()


class YamlLimitError(yaml.YAMLError):
    """A document beyond a limit, or with a duplicate key; the message says which and where."""


def _line(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}" if mark is not None else "an unknown line"


class _LimitedLoader(Composer, _Parser, SafeConstructor, Resolver):
    """A safe loader that counts expanded values, limits depth and refuses duplicate keys.

    libyaml's parser (``CParser``, when installed) reads the events: PyYAML's pure-Python
    scanner takes time quadratic in the nesting depth and in the length of a flow list (a
    100 kB list takes 16 s). PyYAML's Python composer builds the nodes, so that this class
    can count them.
    """

    limits: YamlLimits = LIMITS

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._nodes = 0
        self._depth = 0
        self._sizes: dict[str, int] = {}  # anchor -> expanded size of its node
        self._path: list[str] = []  # keys and indices down to the node being composed

    def _at(self, mark: yaml.Mark | None) -> str:
        """Where the composer is: the line and the key path (at most a few levels shown)."""
        if not self._path:
            return _line(mark)
        parts = self._path if len(self._path) <= 6 else [*self._path[:5], "...", self._path[-1]]
        return f"{_line(mark)}, key {'.'.join(parts)}"

    def _count(self, n: int, mark: yaml.Mark | None) -> None:
        self._nodes += n
        if self._nodes > self.limits.max_nodes:
            raise YamlLimitError(
                f"the document holds more than {self.limits.max_nodes:,} values once its "
                f"aliases are expanded (at {self._at(mark)}); a config needs a few hundred: "
                f"write the values out or use fewer nested aliases")

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        part = index.value if isinstance(index, ScalarNode) else (
            str(index) if isinstance(index, int) else None)
        if part is not None:
            self._path.append(_short(part, 40).strip("'"))
        try:
            return self._compose_counted(parent, index)
        finally:
            if part is not None:
                self._path.pop()

    def _compose_counted(self, parent, index):  # noqa: ANN001, ANN202 - PyYAML's signature
        if self.check_event(AliasEvent):
            event = self.peek_event()
            if event.anchor in self.anchors and event.anchor not in self._sizes:
                raise YamlLimitError(f"alias *{event.anchor} at {self._at(event.start_mark)} "
                                     f"refers to a value that contains it (a recursive value)")
            self._count(self._sizes.get(event.anchor, 0), event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        self._depth += 1
        if self._depth > self.limits.max_depth:
            raise YamlLimitError(f"values are nested more than {self.limits.max_depth} levels "
                                 f"deep (at {self._at(event.start_mark)})")
        before = self._nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        if isinstance(node, MappingNode):  # for messages about its keys
            node.key_path = ".".join(self._path)  # type: ignore[attr-defined]
        self._depth -= 1
        if event.anchor is not None:
            self._sizes[event.anchor] = self._nodes - before
        return node

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201 - PyYAML's signature
        if isinstance(node, MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # an unhashable key: the base class says so
                if first is not key_node:
                    where = getattr(node, "key_path", "")
                    raise YamlLimitError(
                        f"duplicate key {_short(key)}{f' in {where}' if where else ''} at "
                        f"{_line(first.start_mark)} and {_line(key_node.start_mark)}; give "
                        f"each key once")
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):  # noqa: ANN001, ANN201 - PyYAML's signature
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > self.limits.max_int_digits:
            raise YamlLimitError(f"an integer of {digits} digits at {_line(node.start_mark)} is "
                                 f"too large for any config value")
        return super().construct_yaml_int(node)


SCIENTIFIC = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
"""A number with an exponent, as the YAML 1.2 core schema's float (``tag:yaml.org,2002:float``)
reads it, less the forms YAML 1.1 reads already: ``1e3``, ``-1E+4``, ``.5e1``. YAML 1.1
(PyYAML's rules) reads ``1e3`` as the string "1e3" (it wants a dot and a signed exponent);
config files and ``--set`` values read it as the number, and an integer key takes it when it
is whole (``initial_borrowers: 1e3``)."""

_LimitedLoader.add_implicit_resolver("tag:yaml.org,2002:float", SCIENTIFIC,
                                     list("-+.0123456789"))

# the stubs type constructors for PyYAML's own loader classes only; this one is a loader too
_LimitedLoader.add_constructor("tag:yaml.org,2002:int",  # type: ignore[type-var]
                               _LimitedLoader.construct_yaml_int)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_yaml(text: str, limits: YamlLimits = LIMITS) -> object:
    """Parse one YAML document with ``limits``.

    Args:
        text: the document.
        limits: how many values (aliases expanded), how deep, how long an integer.

    Returns:
        The document as plain Python values (dicts, lists, str, int, float, bool, None, dates).

    Raises:
        YamlLimitError: beyond a limit, a recursive alias or a duplicate key (a ``YAMLError``).
        yaml.YAMLError: text that is not valid YAML.
    """
    loader_cls: type[_LimitedLoader] = _LimitedLoader
    if limits is not LIMITS:
        loader_cls = cast("type[_LimitedLoader]",
                          type("_Loader", (_LimitedLoader,), {"limits": limits}))
    loader = loader_cls(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # a limit set above what the interpreter's stack allows
        raise YamlLimitError("values are nested too deeply") from None
    finally:
        loader.dispose()
