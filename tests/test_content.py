"""The FAQ content rules: counts, answer shape, sources, and only facts with a year."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from string import Formatter

import pytest
import yaml

from bot.console import texts as console_texts
from bot.domain import texts as action_texts
from bot.gateway import texts as gateway_texts
from tests import content_rules
from tests.support.responses import RESPONSES as DOMAIN_RESPONSES
from tests.support.responses import placeholders

REPO = Path(__file__).resolve().parent.parent
FAQ_FILES = sorted((REPO / "data" / "nlu").glob("faq_*.yml"))
TOPICS = [t["key"] for t in yaml.safe_load((REPO / "data" / "topics.yml").read_text())["topics"]]
SOURCES = yaml.safe_load((REPO / "data" / "sources.yml").read_text(encoding="utf-8"))
# National numbers we may give (../shared/facts.md); any other phone-like number is invented.
ALLOWED_NUMBERS = {"0800-2000", "0800-0113", "0900-8020", "0800-8115", "0800-0543", "0800-0432", "0900-0101"}


def all_faq() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    examples, responses = {}, {}
    for path in FAQ_FILES:
        file_examples, file_responses = content_rules.load_faq_file(path)
        examples.update(file_examples)
        responses.update(file_responses)
    return examples, responses


EXAMPLES, RESPONSES = all_faq()


def test_every_topic_has_its_file_and_at_least_eight_answers():
    assert [p.stem.removeprefix("faq_") for p in FAQ_FILES] == sorted(TOPICS)
    for topic in TOPICS:
        answers = [name for name in RESPONSES if content_rules.faq_topic(name.removeprefix("utter_")) == topic]
        assert len(answers) >= 8, f"{topic}: {len(answers)} answers"


def test_at_least_110_answers_with_ten_examples_each():
    assert len(RESPONSES) >= 110
    thin = {intent: len(set(items)) for intent, items in EXAMPLES.items() if len(set(items)) < 10}
    assert not thin


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_faq_file_follows_the_answer_rules(path):
    assert content_rules.file_problems(path) == []


def test_no_example_belongs_to_two_intents():
    seen: dict[str, str] = {}
    clashes = []
    for intent, items in EXAMPLES.items():
        for item in items:
            key = item.lower().strip()
            if key in seen and seen[key] != intent:
                clashes.append((item, seen[key], intent))
            seen[key] = intent
    assert clashes == []


def test_examples_include_english_and_informal_writing():
    text = "\n".join(item.lower() for items in EXAMPLES.values() for item in items)
    for marker in (" ff ", "mn ", "kinder alimentatie", " the ", " my ", "how "):
        assert marker in f" {text} ", marker


def test_every_answer_has_a_source_and_every_source_an_answer():
    assert set(SOURCES) == set(RESPONSES)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_entry_has_urls_and_a_check_date(name):
    entry = SOURCES[name]
    assert entry["urls"], name
    for url in entry["urls"]:
        assert re.match(r"^(https?://[^\s]+\.[a-z]{2,}|repo:[\w./#-]+)", url), url
    checked = date.fromisoformat(str(entry["checked"]))
    assert date(2026, 1, 1) <= checked <= date.today()


def test_repo_sources_point_to_existing_documents():
    for entry in SOURCES.values():
        for url in entry["urls"]:
            if url.startswith("repo:"):
                path, _, anchor = url.removeprefix("repo:").partition("#")
                document = (REPO / path).read_text(encoding="utf-8")
                heading = anchor.replace("-", " ")
                assert any(
                    line.lstrip("#").strip().lower() == heading
                    for line in document.splitlines()
                    if line.startswith("#")
                ), url


def test_answers_only_use_known_national_phone_numbers():
    for name, texts in RESPONSES.items():
        for text in texts:
            for number in re.findall(r"\b0[89]00[- ]?\d{3,4}\b", text):
                assert number.replace(" ", "-") in ALLOWED_NUMBERS, (name, number)


def test_answer_text_is_plain():
    for name, texts in RESPONSES.items():
        for text in texts:
            assert not re.search(r"[<>*_#\[\]]", text), name


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Eén zin. Twee zinnen. Kijk op svb.nl.", None),
        ("Te kort. Kijk op svb.nl.", "sentences"),
        ("Je krijgt € 295 per kwartaal. Dat is veel. Kijk op svb.nl.", "amount without year"),
        ("In 2026 krijg je € 295 per kwartaal. Dat is veel. Kijk op svb.nl.", None),
        ("Dit is een antwoord. Het heeft drie zinnen. Maar geen volgende stap.", "next step"),
        ("Bel het Juridisch Loket op 0900-8020. Dat helpt. Het kan snel.", "paid number"),
        ("Bel het Juridisch Loket op 0900-8020 (betaald nummer). Dat helpt. Het kan snel.", None),
        (" ".join(["Dit is een lange zin met heel veel woorden erin die maar doorgaat"] * 5) + ". Kijk op svb.nl. Ja.", "mean sentence"),
    ],
)
def test_content_rules_catch_bad_answers(text, problem):
    found = content_rules.answer_problems(text)
    if problem is None:
        assert found == []
    else:
        assert any(problem in item for item in found), found


# --- copy in one place: every text a parent or an expert reads is data, and follows the rules ---------

TEXT_FILES = {  # what is read from Python besides domain.yml's responses
    "data/action_texts.yml": action_texts.FILE.data,
    "data/gateway_texts.yml": gateway_texts.texts(),
    "data/console_texts.yml": console_texts.FILE.data,
}
CODE_DIRS = ("actions", "bot/domain", "bot/gateway", "bot/console")


def _strings(node, where: str):
    """(where, text) of every string in a loaded YAML file, however deep."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _strings(child, f"{where}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _strings(child, f"{where}[{i}]")


def every_text() -> list[tuple[str, str]]:
    found = [(f"domain.yml: {name}", variant["text"]) for name, variants in DOMAIN_RESPONSES.items()
             for variant in variants if variant.get("text")]
    for name, data in TEXT_FILES.items():
        found += list(_strings(data, name))
    return found


@pytest.mark.parametrize("where, text", every_text(), ids=lambda value: value[:60])
def test_responses_and_text_files_have_short_sentences_and_dated_amounts(where, text):
    assert content_rules.text_problems(text) == []


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Heb je meer dan {amount} ({period}) aan spaargeld? Dat is de grens.", None),
        ("Heb je meer dan {amount} aan spaargeld? Dat is de grens ({period}).", "amount without year"),
        ("De norm is € 1.401,50 per maand (norm van 1 juli 2025).", None),
        ("De norm is € 1.401,50 per maand.", "amount without year"),
        ("Ik gebruik {norm_amount} per maand in {year}.", None),
        (" ".join(["woord"] * 26) + ".", "words in one sentence"),
        (" ".join(["woord"] * 25) + ". " + " ".join(["woord"] * 25) + ".", None),
    ],
)
def test_text_rules_catch_long_sentences_and_undated_amounts(text, problem):
    found = content_rules.text_problems(text)
    if problem is None:
        assert found == []
    else:
        assert any(problem in item for item in found), found


# One of these words in a string of four or more words: a Dutch sentence, written in Python. (No word
# that is English too, such as "is": the code's own messages are English.)
DUTCH_WORDS = frozenset(
    "je jij jouw het niet een ik wij wil kun kunt kan van voor met naar dat dit deze die er geen nog ook "
    "dan maar de bij uit wat hoe waar heeft hebt mijn zijn wordt om te".split())
# Dutch that deliberately stays in Python, by file and the name it is assigned to (or the text itself),
# with the reason. Regular expressions (re.compile's argument) are skipped: they read text, not say it.
ALLOWED_DUTCH = {
    ("bot/domain/yes_no.py", "_UNSURE"): "phrases a typed yes or no is read with: what parents type, not copy",
    ("bot/domain/yes_no.py", "_FILLERS"): "words around a yes or no that the parser skips: input, not copy",
    ("actions/common.py", "DECLINE_WORDS"): "phrases that mean 'rather not say' in an answer: input, not copy",
    ("bot/domain/screening_scoring.py", "OPENING"): "how data/screening.yml's outcome must begin: a check on "
                                                 "the data file, the text itself is in that file",
    ("bot/domain/screening_scoring.py", "speak to the parent with 'je', not 'u'"): "an English error for the "
                                                 "data file's author that names the Dutch word",
}


def _owner(node: ast.AST, parents: dict) -> str | None:
    """The name a string is assigned to (`NAME = ...`), however deep inside the value."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return next((t.id for t in targets if isinstance(t, ast.Name)), None)
    return None


def _in_regex(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            return True
    return False


def dutch_in_python(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, text, owner) of every string literal in `path` that reads as a Dutch sentence."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its text with {} where the values go
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and not isinstance(parents.get(node), ast.JoinedStr)):
            text = node.value
        else:
            continue
        if id(node) in docstrings or _in_regex(node, parents):
            continue
        words = re.findall(r"[a-zà-ÿ]+", text.lower())
        if len(text.split()) >= 4 and any(word in DUTCH_WORDS for word in words):
            found.append((node.lineno, text, _owner(node, parents)))
    return found


def test_no_dutch_sentence_is_written_in_python():
    """Copy lives in domain.yml and data/*_texts.yml; a Dutch sentence in the code belongs there."""
    found, allowed = [], set()
    for folder in CODE_DIRS:
        for path in sorted((REPO / folder).glob("*.py")):
            where = str(path.relative_to(REPO))
            for line, text, owner in dutch_in_python(path):
                keys = {(where, owner), (where, text)} & set(ALLOWED_DUTCH)
                allowed |= keys
                if not keys:
                    found.append(f"{where}:{line}: {text!r}")
    assert found == [], "Move these texts to domain.yml or data/*_texts.yml:\n" + "\n".join(found)
    assert allowed == set(ALLOWED_DUTCH), "no longer needed in ALLOWED_DUTCH"


def test_the_dutch_check_finds_a_sentence_in_code(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('''"""Een docstring mag Nederlands zijn, als het over de code gaat."""
import re
ANSWER = "Ik kan je nu niet helpen, sorry."
WHO = f"Ik zet je door naar {team}."
PATTERN = re.compile(r"kan ik niet zeggen|weet ik niet")
LOG = "could not read the file"
''')
    assert [(line, owner) for line, _, owner in dutch_in_python(module)] == [(3, "ANSWER"), (4, "WHO")]


def _literal_calls(path: Path):
    """(function name, literal first argument or response=, keyword names, has **) of every call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        keywords = {k.arg for k in node.keywords if k.arg}
        splat = any(k.arg is None for k in node.keywords)
        first = [node.args[0]] if node.args else [k.value for k in node.keywords if k.arg == "response"]
        for arg in first:
            # A literal, or either side of `"a" if x else "b"`.
            options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for option in options:
                if isinstance(option, ast.Constant) and isinstance(option.value, str):
                    yield name, option.value, keywords, splat


def _code_files():
    return [path for folder in CODE_DIRS for path in sorted((REPO / folder).glob("*.py"))]


def test_every_response_the_code_sends_exists_and_gets_all_its_values():
    """`utter_message(response="utter_x", name=value)`: Rasa leaves a {name} without a value as it is."""
    problems = []
    for path in _code_files():
        source = path.read_text(encoding="utf-8")
        for name in set(re.findall(r'"(utter_[a-z_]+)"', source)):
            if name not in DOMAIN_RESPONSES:
                problems.append(f"{path.name}: {name} is not in domain.yml")
        for function, response, keywords, splat in _literal_calls(path):
            if function == "utter_message" and response in DOMAIN_RESPONSES and not splat:
                missing = placeholders(DOMAIN_RESPONSES[response][0]["text"]) - keywords
                if missing:
                    problems.append(f"{path.name}: {response} without {sorted(missing)}")
    assert problems == []


def test_every_text_key_the_code_reads_exists_and_gets_all_its_values():
    """Literal keys of text()/labels()/button() and texts()["..."] are in their data file, and text()
    passes every {name} of its text."""
    files = {"actions": action_texts.FILE, "bot/domain": action_texts.FILE, "bot/console": console_texts.FILE}
    problems = []
    for path in _code_files():
        folder = str(path.parent.relative_to(REPO))
        for function, key, keywords, splat in _literal_calls(path):
            try:
                if folder in files and function in ("text", "labels"):
                    found = files[folder].get(key)
                    names = {field for _, field, _, _ in Formatter().parse(str(found)) if field}
                    if function == "text" and not splat and names - keywords:
                        problems.append(f"{path.name}: {key} without {sorted(names - keywords)}")
                elif function == "button" and folder in ("actions", "bot/domain"):
                    action_texts.button(key)
                elif function == "button" and folder == "bot/gateway":
                    gateway_texts.button(key)
            except KeyError as missing:
                problems.append(f"{path.name}: {missing}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "texts"
                    and isinstance(node.slice, ast.Constant) and node.slice.value not in gateway_texts.texts()):
                problems.append(f"{path.name}: {node.slice.value!r} is not in data/gateway_texts.yml")
    assert problems == []
