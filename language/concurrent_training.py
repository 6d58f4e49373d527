"""`rasa train`, with the ResponseSelector trained in a second process while DIET trains in the first.

Rasa runs the training graph one node after the other (its `DaskGraphRunner` uses dask's synchronous
scheduler). The two classifiers are most of a training (issue 15: DIET 87 s, the ResponseSelector 145 s
of 5.3 min) and each keeps only about 1.3 of the machine's two cores busy: TensorFlow runs their sparse
layers on one thread. They need nothing from each other, so this runner starts every node whose component
says `trains_alongside = True` in a child process as soon as its inputs are ready, and runs the rest of
the graph meanwhile, in Rasa's order, in this process.

What stays the same: the nodes, their inputs and outputs, Rasa's hooks (the training cache, the log) and
the model. A child builds the very component the graph built (it is pickled over) and writes into the
same model storage. It is seeded as Rasa seeds every classifier (at model creation), so the weights are
those of a training in one process. The work in this process stays sequential and in Rasa's order: the
threads only wait for children.

Usage: `python -m language.concurrent_training train ...` takes `rasa train`'s arguments (the Makefile
uses it); `python -m language.concurrent_training --child JOB` is how the runner starts a child.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import dask.order
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

REPO = Path(__file__).resolve().parents[1]


class ConcurrentGraphRunner(DaskGraphRunner):
    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        schema = self._graph_schema.minimal_graph_schema(run_targets)
        graph = self._build_dask_graph(schema)
        if inputs:
            self._add_inputs_to_graph(inputs, graph)
        alongside = {name for name, node in schema.nodes.items()
                     if getattr(node.uses, "trains_alongside", False) and node.fn == "train"}
        results = _Schedule(graph, alongside).run()
        return dict(results[target] for target in run_targets)


class _Schedule:
    """Runs a dask graph of Rasa graph nodes: the `alongside` nodes in child processes as soon as they
    are ready, the others here, one at a time, in dask's order."""

    def __init__(self, graph: dict[str, Any], alongside: set[str]) -> None:
        self.graph = graph
        self.alongside = alongside
        self.priority = dask.order.order(graph)
        self.results: dict[str, Any] = {}

    def task(self, key: str) -> tuple[Any, list[Any]] | None:
        """The node and its arguments (dask's way: a name in the graph stands for that node's result),
        or None for an input value."""
        task = self.graph[key]
        if not (isinstance(task, tuple) and task and callable(task[0])):
            return None
        return task[0], [self.results[arg] if arg in self.graph else arg for arg in task[1:]]

    def run(self) -> dict[str, Any]:
        needs = {key: [arg for arg in task[1:] if isinstance(arg, str) and arg in self.graph]
                 if isinstance(task, tuple) and task and callable(task[0]) else []
                 for key, task in self.graph.items()}
        sorter = TopologicalSorter(needs)
        sorter.prepare()
        running: dict[Future, str] = {}
        with ThreadPoolExecutor(max_workers=max(1, len(self.alongside))) as threads:
            try:
                while sorter.is_active():
                    first = lambda key: (key not in self.alongside, self.priority[key])  # noqa: E731
                    ready = sorted(sorter.get_ready(), key=first)
                    for key in ready:
                        node_and_args = self.task(key)
                        if node_and_args is None:
                            self.results[key] = self.graph[key]
                        elif key in self.alongside:
                            node, args = node_and_args
                            handed_over = threading.Event()
                            running[threads.submit(_in_child, node, args, handed_over)] = key
                            handed_over.wait()  # the child has its copy of the inputs: this process may go on
                            continue
                        else:
                            node, args = node_and_args
                            self.results[key] = node(*args)
                        sorter.done(key)
                    finished = [future for future in running if future.done()]
                    if not ready and not finished and running:
                        finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        key = running.pop(future)
                        self.results[key] = future.result()
                        sorter.done(key)
            finally:
                for future in running:
                    future.cancel()
                _Children.stop_all()
        return self.results


class _Children:
    """The child processes running, so that a failure here stops them instead of waiting for them."""

    running: set[subprocess.Popen] = set()

    @classmethod
    def stop_all(cls) -> None:
        for child in list(cls.running):
            child.kill()


def _in_child(node: GraphNode, args: list[Any], handed_over: threading.Event) -> tuple[str, Any]:
    """Calls the graph node (Rasa's hooks run here) with its component's function run by a child.
    `handed_over` is set once the child's inputs are written: until then this process changes nothing."""
    original = node._fn
    node._fn = lambda component, **kwargs: _call_in_child(component, original.__name__, kwargs, handed_over)
    try:
        return node(*args)
    finally:
        node._fn = original
        handed_over.set()


def _call_in_child(component: Any, fn_name: str, kwargs: dict[str, Any], handed_over: threading.Event) -> Any:
    with tempfile.TemporaryDirectory(prefix="scheidingspunt-train-") as folder:
        job, result = Path(folder, "job.pkl"), Path(folder, "result.pkl")
        with job.open("wb") as file:
            pickle.dump((component, fn_name, kwargs), file, protocol=pickle.HIGHEST_PROTOCOL)
        handed_over.set()
        child = subprocess.Popen([sys.executable, "-m", "language.concurrent_training", "--child", str(job),
                                  str(result)], cwd=REPO, env=_child_environment())
        _Children.running.add(child)
        try:
            code = child.wait()
        finally:
            _Children.running.discard(child)
        if code != 0:
            name = f"{type(component).__name__}.{fn_name}"
            raise RuntimeError(f"{name} failed in its own process (exit {code})")
        with result.open("rb") as file:
            return pickle.load(file)


def _child_environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}


def _child(job: str, result: str) -> None:
    with open(job, "rb") as file:
        component, fn_name, kwargs = pickle.load(file)
    output = getattr(component, fn_name)(**kwargs)
    with open(result, "wb") as file:
        pickle.dump(output, file, protocol=pickle.HIGHEST_PROTOCOL)


def train_command(checkout: Path = REPO) -> list[str]:
    """The command that trains in `checkout` (then `rasa train`'s arguments): this runner where the
    checkout has it (an older revision may not), else Rasa's own."""
    if (checkout / "language" / "concurrent_training.py").exists():
        return [sys.executable, "-m", "language.concurrent_training", "train"]
    return [str(Path(sys.executable).parent / "rasa"), "train"]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        _child(argv[1], argv[2])
        return
    import rasa.__main__
    import rasa.model_training

    rasa.model_training.DaskGraphRunner = ConcurrentGraphRunner  # the class `rasa train` runs its graph with
    sys.argv = ["rasa", *argv]
    rasa.__main__.main()


if __name__ == "__main__":
    main(sys.argv[1:])
