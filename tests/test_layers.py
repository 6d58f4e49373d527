"""Every import points down: channels, console, actions -> store -> domain.

`actions/` (rasa-sdk actions) sits on top: nothing under bot/, privacy/ or language/ may import it.
`bot/domain/` is the floor: it imports no other room of the project and no Rasa, so the store, the
gateway, the console, the actions and the benchmarks can all use it. The store does not reach up
into the gateway or the console either, and the console reaches the live chat through its `LiveChat`
interface only, never the gateway's router or Rasa. One store module, bot/store/handoffs.py, owns
the hand-over's life: no other module creates a request or changes its status. Read with `ast`, so
a test run imports nothing to check.
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
    ("bot/console", ("bot.gateway", "bot.rasa_client", "rasa", "rasa_sdk"),
     "the console talks to the LiveChat interface (bot/console/livechat.py) that the gateway passes in, "
     "not to the gateway's router or to Rasa"),
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


# --- the console does not reach around its LiveChat --------------------------------------------------

# App keys under which the gateway keeps its router and Rasa client: the console gets a LiveChat instead.
GATEWAY_KEYS = ("router", "rasa", "webchat", "telegram")


def reaches_around(folder: str = "bot/console", root: Path = REPO) -> list[str]:
    """Uses of `.rasa` or of the gateway's app keys (`request.config_dict["router"]`) in `folder`."""
    problems = []
    for path in sorted((root / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "rasa":
                problems.append(f"{where}:{node.lineno}: reaches .rasa")
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and node.slice.value in GATEWAY_KEYS:
                problems.append(f"{where}:{node.lineno}: reads the gateway's [{node.slice.value!r}]")
    return sorted(problems)


def test_the_console_talks_to_the_live_chat_interface_only():
    problems = reaches_around()
    assert problems == [], "use bot.console.livechat.live_chat(request):\n" + "\n".join(problems)


def test_the_console_check_finds_a_way_around(tmp_path):
    console = tmp_path / "bot" / "console"
    console.mkdir(parents=True)
    (console / "fine.py").write_text("from bot.console.livechat import live_chat\n"
                                     "async def page(request):\n    return await live_chat(request).hand_back('c')\n")
    (console / "around.py").write_text(
        "async def page(request):\n"
        "    router = request.config_dict['router']\n"
        "    return await router.rasa.tracker('c')\n")
    (console / "upward.py").write_text("from bot.gateway.router import Router\nimport bot.rasa_client\n")
    assert reaches_around("bot/console", root=tmp_path) == [
        "bot/console/around.py:2: reads the gateway's ['router']",
        "bot/console/around.py:3: reaches .rasa",
    ]
    rule = next(rule for rule in RULES if rule[0] == "bot/console")
    assert violations("bot/console", rule[1], root=tmp_path) == [
        "bot/console/upward.py:1: imports bot.gateway.router",
        "bot/console/upward.py:1: imports bot.gateway.router.Router",
        "bot/console/upward.py:2: imports bot.rasa_client",
    ]


# --- one module owns the hand-over's life ---------------------------------------------------------------

LIFECYCLE = Path("bot/store/handoffs.py")
MODELS = Path("bot/store/models.py")
LIFECYCLE_CHECKED = ("bot", "actions", "privacy")
# The columns only a transition writes: the request's status and its stamps, the conversation's mode.
REQUEST_COLUMNS = frozenset({"status", "taken_by", "taken_at", "closed_at"})
CONVERSATION_COLUMNS = frozenset({"mode", "handoff_id", "mode_since"})


def _names(node: ast.AST) -> str:
    """`request`, `found.request` or `session.get(HandoffRequest, x)` as the names in it, lower case."""
    return " ".join(n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
                    if isinstance(n, (ast.Name, ast.Attribute))).lower()


def _is_model(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "HandoffRequest") or (
        isinstance(node, ast.Attribute) and node.attr == "HandoffRequest")


def _assigned(node: ast.AST) -> list[ast.Attribute]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
    found = []
    for target in targets:
        found += [t for t in ast.walk(target) if isinstance(t, ast.Attribute) and isinstance(t.ctx, ast.Store)]
    return found


def lifecycle_violations(root: Path = REPO) -> list[str]:
    """Creating a HandoffRequest, writing one with update()/insert(), or assigning its status (or its
    stamps, or a conversation's mode) anywhere but bot/store/handoffs.py.

    Pragmatic, since `ast` knows no types: a `.status` (or taken_by, taken_at, closed_at) assignment
    counts in a module that names HandoffRequest, or on an object whose name says request or handoff.
    """
    problems = []
    for folder in LIFECYCLE_CHECKED:
        for path in sorted((root / folder).rglob("*.py")):
            where = path.relative_to(root)
            if where in (LIFECYCLE, MODELS) or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            names_model = any(_is_model(node) for node in ast.walk(tree))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    if _is_model(node.func):
                        problems.append(f"{where}:{node.lineno}: creates a HandoffRequest")
                    elif node.args and _is_model(node.args[0]) and _names(node.func).split()[-1:] in (
                            ["update"], ["insert"]):
                        problems.append(f"{where}:{node.lineno}: writes HandoffRequest rows")
                for target in _assigned(node):
                    if target.attr in CONVERSATION_COLUMNS:
                        problems.append(f"{where}:{target.lineno}: switches a conversation's .{target.attr}")
                    elif target.attr in REQUEST_COLUMNS and (
                            names_model or any(word in _names(target.value) for word in ("request", "handoff"))):
                        problems.append(f"{where}:{target.lineno}: assigns a hand-over's .{target.attr}")
    return sorted(set(problems))


def test_only_the_lifecycle_module_creates_or_moves_a_handoff_request():
    problems = lifecycle_violations()
    assert problems == [], "use a transition of bot/store/handoffs.py:\n" + "\n".join(problems)


def test_the_lifecycle_check_finds_a_status_change_elsewhere(tmp_path):
    for folder in ("bot/store", "bot/gateway", "actions", "privacy"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / LIFECYCLE).write_text(
        "from bot.store.models import HandoffRequest\n"
        "def request():\n    made = HandoffRequest()\n    made.status = 'waiting'\n    return made\n")
    (tmp_path / "bot/store/callbacks.py").write_text("def close(callback):\n    callback.status = 'done'\n")
    (tmp_path / "bot/gateway/router.py").write_text(
        "from sqlalchemy import update\n"
        "from bot.store import models\n"
        "from bot.store.models import HandoffRequest\n"
        "def end(session, conversation, handoff_id):\n"
        "    request = session.get(HandoffRequest, handoff_id)\n"
        "    request.status, request.closed_at = 'closed', None\n"
        "    conversation.mode = 'bot'\n"
        "    session.execute(update(models.HandoffRequest).values(status='taken'))\n")
    (tmp_path / "actions/handoff.py").write_text(
        "from bot.store import handoffs\n"
        "def run(session):\n    handoffs.request(session).status = 'taken'\n")
    (tmp_path / "privacy/erase.py").write_text(
        "from bot.store import models\ndef fake(session):\n    session.add(models.HandoffRequest(status='x'))\n")
    assert lifecycle_violations(root=tmp_path) == [
        "actions/handoff.py:3: assigns a hand-over's .status",
        "bot/gateway/router.py:6: assigns a hand-over's .closed_at",
        "bot/gateway/router.py:6: assigns a hand-over's .status",
        "bot/gateway/router.py:7: switches a conversation's .mode",
        "bot/gateway/router.py:8: writes HandoffRequest rows",
        "privacy/erase.py:3: creates a HandoffRequest",
    ]
