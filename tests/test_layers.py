"""Every import points down: channels, console, actions -> store -> domain.

`actions/` (rasa-sdk actions) sits on top: nothing under bot/, privacy/ or language/ may import it.
`bot/domain/` is the floor: it imports no other room of the project and no Rasa, so the store, the
gateway, the console, the actions and the benchmarks can all use it. The store does not reach up
into the gateway or the console either. Read with `ast`, so a test run imports nothing to check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECKED = ("bot", "privacy", "language")
# (folder, the import prefixes modules in it must not use, why)
RULES = (
    ("bot", ("actions",), "actions/ is the top layer: Rasa actions import the rest, not the other way"),
    ("privacy", ("actions",), "actions/ is the top layer"),
    ("language", ("actions", "bot", "privacy"),
     "language/ imports nothing of ours: Rasa loads it from config.yml, and the gateway and the domain use it"),
    ("bot/store", ("bot.gateway", "bot.console"), "the store sits below the gateway and the console"),
    ("bot/domain", ("actions", "bot.store", "bot.gateway", "bot.console", "bot.launcher", "bot.rasa_client",
                    "bot.startup", "privacy", "rasa", "rasa_sdk"),
     "the domain is the floor: Rasa-free, and importing no other room of the project"),
)


def imported_modules(path: Path, root: Path = REPO) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, however deep (inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from bot import store` imports bot.store
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(folder: str, forbidden: tuple[str, ...], root: Path = REPO) -> list[str]:
    problems = []
    for path in sorted((root / folder).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, module in imported_modules(path, root):
            if any(_matches(module, prefix) for prefix in forbidden):
                problems.append(f"{path.relative_to(root)}:{line}: imports {module}")
    return sorted(set(problems))


@pytest.mark.parametrize("folder, forbidden, why", RULES, ids=[rule[0] for rule in RULES])
def test_imports_point_down(folder, forbidden, why):
    problems = violations(folder, forbidden)
    assert problems == [], f"{why}:\n" + "\n".join(problems)


def test_every_checked_folder_has_modules():
    for folder in CHECKED:
        assert list((REPO / folder).rglob("*.py")), folder
    assert (REPO / "bot" / "domain" / "names.py").is_file()


def test_the_check_finds_an_upward_import(tmp_path):
    domain = tmp_path / "bot" / "domain"
    domain.mkdir(parents=True)
    (domain / "fine.py").write_text("import re\nfrom bot.domain import names\n")
    (domain / "upward.py").write_text(
        "def later():\n    from actions import common\n    from bot import store\n    return common, store\n")
    (domain / "relative.py").write_text("from ..gateway import router\n")
    assert violations("bot/domain", ("actions", "bot.store", "bot.gateway"), root=tmp_path) == [
        "bot/domain/relative.py:1: imports bot.gateway",
        "bot/domain/relative.py:1: imports bot.gateway.router",
        "bot/domain/upward.py:2: imports actions",
        "bot/domain/upward.py:2: imports actions.common",
        "bot/domain/upward.py:3: imports bot.store",
    ]
