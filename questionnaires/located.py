"""Where in a YAML data file a problem is: the YAML path and its line, from the moment the problem is found.

Questionnaire files and version mappings are read by :func:`read_yaml`, which keeps the line of every
mapping key and list item next to the data (one parse, duplicate keys refused). A check that finds a
problem names the path it looked at (``subdimensions[0].questions[3].crosswalk.nist_ai_rmf[1]``);
:class:`Located` turns that into a :class:`problems.Problem` with the file, the path and the line.
Pydantic's own shape errors (a missing field, a wrong type …) become catalogued codes here too
(:func:`shape_problems`), so no caller shows pydantic's English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from problems import Problem, shown

Key = str | int
Path = tuple[Key, ...]
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


# --- YAML with duplicate-key detection and the line of every node ------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (plain YAML silently keeps the last one)."""


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping repeats a key (its own problem code: the YAML itself is well-formed)."""

    def __init__(self, key: Any, mark: yaml.Mark):
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key, reported by the constructor below
            continue
        if duplicate:
            raise _DuplicateKey(key, key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Unreadable(Exception):
    """The text is not YAML; ``problem`` says where and why (already located)."""

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Source:
    """One parsed YAML file: its name, its data and the line of each path in it."""

    file: str
    data: Any
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor the file has (None when not even the top is known)."""
        keys = tuple(str(k) for k in path)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.lines.get((), None)

    def at(self, code: str, path: Path = (), values: dict[str, Any] | None = None) -> Problem:
        """A problem at ``path`` of this file: its YAML path, its line and the id of the object it is in
        (the question, sub-dimension, preset … whose ``id`` is nearest above the path)."""
        owner, is_question = _owner(self.data, path)
        return Problem(code, values, file=self.file, path=yaml_path(self.data, path), line=self.line(path),
                       part=owner, question=owner if is_question else "")


# The authors' usual YAML mistakes, by the start of PyYAML's (English) reason: each has its own code and a fix
# in the author's language; any other syntax error is ``yaml_syntax`` quoting PyYAML's reason.
_YAML_MISTAKES = (
    ("found character '\\t'", "yaml_tab"),
    ("mapping values are not allowed here", "yaml_colon_in_text"),
    ("expected <block end>", "yaml_indentation"),
    ("expected ',' or ']'", "yaml_unclosed"),
    ("expected ',' or '}'", "yaml_unclosed"),
    ("found unexpected end of stream", "yaml_unclosed"),
)


def read_yaml(file: str, text: str) -> Source:
    """The parsed file with the line of each node, or :class:`Unreadable` with a located ``yaml_syntax`` problem."""
    try:
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _DuplicateKey as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise Unreadable(Problem("yaml_duplicate_key", {"key": shown(exc.key)}, file=file, line=line)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        code = next((code for start, code in _YAML_MISTAKES if reason.startswith(start)), "yaml_syntax")
        if code == "yaml_unclosed" and getattr(exc, "context_mark", None):  # where it was opened, not the file's end
            mark = exc.context_mark  # type: ignore[attr-defined]
        raise Unreadable(Problem(code, {"reason": shown(reason), "column": mark.column + 1 if mark else 1},
                                 file=file, line=mark.line + 1 if mark else None)) from exc
    except Exception as exc:  # e.g. recursion in pathological input; still the user's file
        raise Unreadable(Problem("yaml_unreadable", {"error": type(exc).__name__}, file=file)) from exc
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _index(loader, node, (), lines)
    return Source(file, data, lines)


def _index(loader: yaml.SafeLoader, node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(loader.construct_object(key_node))
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(loader, value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(loader, item, (*path, str(i)), lines)


def yaml_path(data: Any, path: Iterable[Key]) -> str:
    """``subdimensions[0].questions[3].crosswalk.nist_ai_rmf[1]``: list items by index, keys by name
    (a key that is not a plain name is quoted: ``crosswalk.tc260['5.4']``)."""
    out, node = "", data
    for key in path:
        if isinstance(node, list) and isinstance(key, int):
            out += f"[{key}]"
            node = node[key] if 0 <= key < len(node) else None
            continue
        text = str(key)
        out += (f".{text}" if out else text) if _PLAIN_KEY.match(text) else f"[{text!r}]"
        node = _child(node, key)
    return out


def _owner(data: Any, path: Iterable[Key]) -> tuple[str, bool]:
    """(the id of the innermost object with an ``id`` on ``path``, whether it is a question)."""
    owner, is_question, node, parent = "", False, data, ""
    for key in path:
        node = node[key] if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node) else (
            None if isinstance(node, list) else _child(node, key))
        if isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"]:
            owner, is_question = node["id"], parent == "questions"
        parent = str(key) if not isinstance(key, int) else parent
    return owner, is_question


def _child(node: Any, key: Key) -> Any:
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    return next((v for k, v in node.items() if str(k) == str(key)), None)


# --- pydantic's shape errors as catalogued problems ---------------------------------------------------------

# pydantic error type → the catalogue code that says it (a validator of the schema raises its own code:
# pydantic_core.PydanticCustomError(code, …)); anything else is ``invalid_value``.
PYDANTIC_CODES: dict[str, str] = {
    "missing": "field_missing",
    "extra_forbidden": "field_unknown",
    "string_type": "not_text",
    "string_pattern_mismatch": "id_format",
    "literal_error": "not_a_choice",
    "enum": "not_a_choice",
    "int_type": "not_a_whole_number",
    "int_parsing": "not_a_whole_number",
    "int_from_float": "not_a_whole_number",
    "float_type": "not_a_number",
    "float_parsing": "not_a_number",
    "bool_type": "not_yes_no",
    "bool_parsing": "not_yes_no",
    "dict_type": "not_a_mapping",
    "model_type": "not_a_mapping",
    "model_attributes_type": "not_a_mapping",
    "list_type": "not_a_list",
    "date_type": "not_a_date",
    "date_parsing": "not_a_date",
    "date_from_datetime_parsing": "not_a_date",
    "date_from_datetime_inexact": "not_a_date",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "too_short": "too_few_entries",
}
_BOUNDS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
# What a value of each pattern looks like, for the fix of ``id_format``.
PATTERN_EXAMPLES = {
    r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{2}$": "GOV-INS-01",
    r"^[A-Z]{2,5}-[A-Z]{2,5}$": "GOV-INS",
    r"^[A-Z]{2,5}$": "GOV",
    r"^[a-z0-9][a-z0-9-]{1,60}$": "caict-aigov",
    r"^\d+\.\d+\.\d+$": "1.1.0",
    r"^[a-z]{2}(-[A-Z]{2})?$": "zh",
    r"^[a-z][a-z0-9_]{1,40}$": "ai_roles",
    r"^[a-z][a-z0-9_-]{1,40}$": "baseline",
}


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """pydantic's location as a path in the data: without the names of union members (``list[str]``) and
    the ``[key]`` marker of a bad mapping key, which are pydantic's, not the file's."""
    path: list[Key] = []
    node = data
    for key in loc:
        if isinstance(node, list) and isinstance(key, int):
            path.append(key)
            node = node[key] if 0 <= key < len(node) else None
        elif isinstance(node, dict) and (key in node or any(str(k) == str(key) for k in node)):
            path.append(key)
            node = _child(node, key)
        elif isinstance(key, str) and (key == "[key]" or "[" in key or key.startswith("function-")):
            continue  # a union member or the key marker
        else:  # a missing field, or a place below a value of the wrong type
            path.append(key)
            node = None
    return tuple(path)


def shape_problem(err: ErrorDetails, source: Source) -> Problem:
    """One pydantic error as a catalogued problem at its path (values: the field, what was found, what is allowed)."""
    kind = err.get("type", "")
    path = _data_path(source.data, tuple(err["loc"]))
    ctx = err.get("ctx") or {}
    leaf = str(path[-1]) if path else ""
    values: dict[str, Any] = {"field": leaf, "found": shown(err.get("input"))}
    code = kind if kind in _OWN_CODES else PYDANTIC_CODES.get(kind, "invalid_value")
    if code == "out_of_range":
        bound = next(k for k in _BOUNDS if k in ctx)
        limit = ctx[bound]
        values["bound"] = f"{_BOUNDS[bound]} {limit:g}" if isinstance(limit, int | float) else f"{_BOUNDS[bound]} {limit}"
    elif code == "id_format":
        pattern = str(ctx.get("pattern", ""))
        values["example"] = PATTERN_EXAMPLES.get(pattern, pattern)
    elif code == "not_a_choice":
        values["choices"] = str(ctx.get("expected", "")).replace("'", "")
    elif code == "too_few_entries":
        values["min"] = ctx.get("min_length", 1)
    elif code == "invalid_value":
        values["detail"] = shown(err.get("msg", ""))
    else:
        values.update({k: v for k, v in ctx.items() if isinstance(v, str | int)})
    if isinstance(err.get("loc"), tuple) and "[key]" in err["loc"]:  # a bad key: the key is what was found
        values["found"] = shown(path[-1] if path else "")
    return source.at(code, path, values)


# Codes a validator of the schema raises itself (PydanticCustomError(code, …)): pydantic passes them on.
_OWN_CODES = frozenset({"levels_not_five", "recommendations_not_five", "crosswalk_relation_unknown"})


def shape_problems(model: type[BaseModel], source: Source) -> tuple[Any, list[Problem]]:
    """(the validated model, []) or (None, every shape problem, located)."""
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        return None, [shape_problem(err, source) for err in exc.errors(include_url=False)]
    except (RecursionError, TypeError, ValueError) as exc:
        return None, [source.at("not_validated", (), {"error": type(exc).__name__})]
