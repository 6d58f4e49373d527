"""language/concurrent_training.py: components that train alongside train in a child process at the same
time as the rest of the graph, with the same results and hooks as Rasa's own runner, and a failure in a
child fails the training instead of hanging it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from language.concurrent_training import ConcurrentGraphRunner
from tests.support import training_components as components


class Recorded(GraphNodeHook):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def on_before_node(self, node_name: str, **kwargs: Any) -> dict:
        self.calls.append(("before", node_name))
        return {}

    def on_after_node(self, node_name: str, **kwargs: Any) -> None:
        self.calls.append(("after", node_name))


def schema(alongside: dict[str, Any], here: dict[str, Any], unrelated: bool = False) -> GraphSchema:
    trainer = lambda uses, config: SchemaNode(needs={"numbers": "numbers"}, uses=uses,  # noqa: E731
                                              constructor_name="create", fn="train", config=config,
                                              is_target=True)
    return GraphSchema({
        "numbers": SchemaNode(needs={}, uses=components.Numbers, constructor_name="create", fn="provide",
                              config={}),
        "train_alongside": trainer(components.AlongsideTrainer, alongside),
        "train_here": trainer(components.Trainer, here),
        **({"stories": SchemaNode(needs={}, uses=components.Numbers, constructor_name="create", fn="provide",
                                  config={}),
            "policy": SchemaNode(needs={"numbers": "stories"}, uses=components.Trainer, constructor_name="create",
                                 fn="train", config={}, is_target=True)} if unrelated else {}),
    })


def run(runner_class: type[DaskGraphRunner], graph: GraphSchema, storage: Path) -> tuple[dict, Recorded]:
    hook = Recorded()
    storage.mkdir()
    runner = runner_class.create(graph, LocalModelStorage(storage), ExecutionContext(graph, "test"), [hook])
    return runner.run(), hook


def trained(storage: Path, node: str) -> tuple[int, int]:
    total, pid = (storage / node / "trained.txt").read_text().split()
    return int(total), int(pid)


def test_an_alongside_trainer_trains_in_a_child_at_the_same_time_as_the_rest(tmp_path):
    # Each trainer waits until the other has started: this ends only if they run at the same time.
    graph = schema(alongside={"signals": str(tmp_path), "wait_for": "train_here"},
                   here={"signals": str(tmp_path), "wait_for": "train_alongside"})
    results, hook = run(ConcurrentGraphRunner, graph, tmp_path / "storage")

    assert {name: resource.name for name, resource in results.items()} == {
        "train_alongside": "train_alongside", "train_here": "train_here"}
    alongside_total, alongside_pid = trained(tmp_path / "storage", "train_alongside")
    here_total, here_pid = trained(tmp_path / "storage", "train_here")
    assert alongside_total == here_total == 10  # both trained on the provided numbers
    assert here_pid == os.getpid() != alongside_pid
    # Rasa's hooks (the training cache, the log) saw every node, the alongside one too.
    assert sorted(hook.calls) == sorted((moment, node) for moment in ("before", "after")
                                        for node in ("numbers", "train_alongside", "train_here"))


def test_results_are_those_of_rasas_own_runner(tmp_path):
    graph = schema(alongside={}, here={})
    ours, _ = run(ConcurrentGraphRunner, graph, tmp_path / "ours")
    rasas, _ = run(DaskGraphRunner, graph, tmp_path / "rasa")
    assert ours == rasas
    for node in ("train_alongside", "train_here"):
        assert trained(tmp_path / "ours", node)[0] == trained(tmp_path / "rasa", node)[0] == 10


def test_what_an_alongside_trainer_needs_runs_first_so_that_the_rest_overlaps_with_it(tmp_path):
    graph = schema(alongside={}, here={}, unrelated=True)
    _, rasas = run(DaskGraphRunner, graph, tmp_path / "rasa")
    _, ours = run(ConcurrentGraphRunner, graph, tmp_path / "ours")
    started = lambda hook: [node for moment, node in hook.calls if moment == "before"]  # noqa: E731
    assert started(rasas)[:2] == ["stories", "policy"]  # Rasa's order
    assert started(ours)[:2] == ["numbers", "train_alongside"]
    assert sorted(started(ours)) == sorted(started(rasas))


def test_a_child_gets_only_the_inputs_its_component_reads(tmp_path):
    graph = schema(alongside={"reads_first": 2}, here={})
    run(ConcurrentGraphRunner, graph, tmp_path / "storage")
    assert trained(tmp_path / "storage", "train_alongside")[0] == 1 + 2
    assert trained(tmp_path / "storage", "train_here")[0] == 10  # this process's inputs are untouched


def test_a_failing_child_fails_the_training(tmp_path):
    graph = schema(alongside={"fail": True}, here={})
    with pytest.raises(GraphComponentException) as failure:
        run(ConcurrentGraphRunner, graph, tmp_path / "storage")
    assert "AlongsideTrainer.train failed in its own process" in str(failure.value.__cause__)


def test_a_checkout_trains_with_this_runner_if_it_has_it_else_with_rasas(tmp_path):
    from language import concurrent_training

    assert concurrent_training.train_command()[1:] == ["-m", "language.concurrent_training", "train"]
    assert [Path(part).name for part in concurrent_training.train_command(tmp_path)] == ["rasa", "train"]


def test_a_child_gets_the_training_data_without_spacys_parsed_documents():
    import io
    import pickle

    import spacy

    from language import concurrent_training

    document = spacy.blank("nl")("mijn ex betaalt niet")
    buffer = io.BytesIO()
    concurrent_training._WithoutParsedDocuments(buffer).dump({"text_spacy_doc": document, "text": document.text})
    assert pickle.loads(buffer.getvalue()) == {"text_spacy_doc": None, "text": "mijn ex betaalt niet"}
