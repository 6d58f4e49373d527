"""Reading the reviewable data files (municipalities, facts, screening, texts) with errors that name
the file and the field, so that a non-programmer can fix a broken file from the message alone."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

REPO = Path(__file__).resolve().parents[2]
Model = TypeVar("Model", bound=BaseModel)


def shown(path: Path) -> str:
    """'data/municipalities/zwolle.yml' for our own files, the full path for others (tests)."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def dotted(loc: tuple, raw: dict[str, Any]) -> str:
    """pydantic's error location as a dotted field path ('' for a check on the whole file)."""
    return ".".join(str(part) for part in loc if part != "__root__")


def used_twice(values: list[str]) -> list[str]:
    """The values that occur more than once (for "keys must be unique" checks), sorted."""
    return sorted({value for value in values if values.count(value) > 1})


def load_model(path: Path, model: type[Model], error: type[ValueError],
               field_path: Callable[[tuple, dict[str, Any]], str] = dotted) -> Model:
    """The file parsed into `model`; `error` with one 'file: field: problem' line per problem."""
    name = shown(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{name}: cannot read the file: {problem}") from problem
    if not isinstance(raw, dict):
        raise error(f"{name}: expected a mapping of fields at the top level")
    try:
        return model.parse_obj(raw)
    except ValidationError as problem:
        lines = []
        for item in problem.errors():
            where = field_path(item["loc"], raw)
            lines.append(f"{name}: {where}: {item['msg']}" if where else f"{name}: {item['msg']}")
        raise error("\n".join(lines)) from None


class TextFile:
    """A YAML file of texts that a parent or an expert reads, looked up by dotted key ('live.too_long').

    Read once, on first use. A missing key, or a {name} in a text without a value, raises a KeyError
    that names the file and the key: a text never goes out with a gap in it.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @cached_property
    def data(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as problem:
            raise ValueError(f"{shown(self.path)}: cannot read the file: {problem}") from problem
        if not isinstance(data, dict):
            raise ValueError(f"{shown(self.path)}: expected a mapping of texts at the top level")
        return data

    def get(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"{shown(self.path)}: no text {key!r}")
            node = node[part]
        return node

    def text(self, key: str, **values: Any) -> str:
        try:
            return str(self.get(key)).format(**values)
        except KeyError as missing:
            if str(missing.args[0]).startswith(shown(self.path)):
                raise
            raise KeyError(f"{shown(self.path)}: {key}: no value for {{{missing.args[0]}}}") from None
