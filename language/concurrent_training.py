"""`rasa train`, with the ResponseSelector trained in a second process while DIET trains in the first,
and Rasa's training cache fingerprinting with language/fingerprints.py.

Rasa runs the training graph one node after the other (its `DaskGraphRunner` uses dask's synchronous
scheduler). The two classifiers are most of a training (issue 15: DIET 87 s, the ResponseSelector 145 s
of 5.3 min) and each keeps only about 1.3 of the machine's two cores busy: TensorFlow runs their sparse
layers on one thread. They need nothing from each other, so this runner starts every node whose component
says `trains_alongside = True` in a child process as soon as its inputs are ready, and runs the rest of
the graph meanwhile in this process (what that child needs first: the core policies wait).

What stays the same: the nodes, their inputs and outputs, Rasa's hooks (the training cache, the log) and
the model. A child gets the very component the graph built (pickled, with its inputs) and writes into the
same model storage (of its inputs, only what the component says it reads, `inputs_read_by`, if it
says). It is seeded as Rasa seeds every classifier (at model creation), so the weights are
those of a training in one process (the classifiers' weight files were byte for byte the same). The work
in this process stays sequential and in a fixed order: the threads only wait for children. A child starts
with the graph, so that its imports are done by the time its inputs are.

Usage: `python -m language.concurrent_training train ...` takes `rasa train`'s arguments (the Makefile
uses it); `python -m language.concurrent_training --child MODULE JOB RESULT` is how the runner starts a
child.
"""

from __future__ import annotations

import importlib
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
from spacy.tokens import Doc as _SPACY_DOC

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
    are ready, the others here, one at a time: first what the alongside nodes need, then in dask's
    order."""

    def __init__(self, graph: dict[str, Any], alongside: set[str]) -> None:
        self.graph = graph
        self.alongside = alongside
        self.priority = dask.order.order(graph)
        self.results: dict[str, Any] = {}
        self.needs = {key: [arg for arg in task[1:] if isinstance(arg, str) and arg in graph]
                      if _is_node(task) else [] for key, task in graph.items()}
        self.feeding = self.ancestors(alongside)

    def ancestors(self, keys: set[str]) -> set[str]:
        found: set[str] = set()
        todo = list(keys)
        while todo:
            parents = self.needs[todo.pop()]
            todo += [parent for parent in parents if parent not in found]
            found.update(parents)
        return found

    def finish(self, sorter: TopologicalSorter, key: str, result: Any) -> None:
        self.results[key] = result
        sorter.done(key)

    def task(self, key: str) -> tuple[Any, list[Any]] | None:
        """The node and its arguments (dask's way: a name in the graph stands for that node's result),
        or None for an input value."""
        task = self.graph[key]
        if not _is_node(task):
            return None
        return task[0], [self.results[arg] if arg in self.graph else arg for arg in task[1:]]

    def run(self) -> dict[str, Any]:
        sorter = TopologicalSorter(self.needs)
        sorter.prepare()
        # The alongside nodes and what they need first (the rest overlaps with them), then Rasa's order.
        first = lambda key: (key not in self.alongside, key not in self.feeding, self.priority[key])  # noqa: E731
        ready: set[str] = set()
        running: dict[Future, str] = {}
        children = {key: _Child(self.graph[key][0]._component_class) for key in self.alongside}
        with ThreadPoolExecutor(max_workers=max(1, len(self.alongside))) as threads:
            try:
                while sorter.is_active():
                    ready.update(sorter.get_ready())
                    for future in [future for future in running if future.done()]:
                        self.finish(sorter, running.pop(future), future.result())
                    if not ready:
                        if running:
                            wait(running, return_when=FIRST_COMPLETED)
                        continue
                    key = min(ready, key=first)
                    ready.remove(key)
                    node_and_args = self.task(key)
                    if node_and_args is None:
                        self.finish(sorter, key, self.graph[key])
                    elif key in self.alongside:
                        handed_over = threading.Event()
                        running[threads.submit(_in_child, *node_and_args, children[key], handed_over)] = key
                        handed_over.wait()  # the child has its copy of the inputs: this process may go on
                    else:
                        node, args = node_and_args
                        self.finish(sorter, key, node(*args))
            finally:
                for child in children.values():  # on failure, stops a child still training
                    child.stop()
        return self.results


def _is_node(task: Any) -> bool:
    """A dask task (a graph node and the names of its inputs), not an input value."""
    return isinstance(task, tuple) and bool(task) and callable(task[0])


def _in_child(node: GraphNode, args: list[Any], child: _Child,
              handed_over: threading.Event) -> tuple[str, Any]:
    """Calls the graph node (Rasa's hooks run here) with its component's function run by `child`.
    `handed_over` is set once the child's inputs are written: until then this process changes nothing."""
    original = node._fn
    node._fn = lambda component, **kwargs: child.call(component, original.__name__, kwargs, handed_over)
    try:
        return node(*args)
    finally:
        node._fn = original
        handed_over.set()


class _Child:
    """The process that trains one node. It starts with the graph and imports the component's module
    (TensorFlow, Rasa's classifiers: seconds) while this process prepares the node's inputs, then waits
    for its job: the component and its inputs, pickled to a file, announced by closing its stdin."""

    def __init__(self, component_class: type) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="scheidingspunt-train-")
        self.job, self.result = Path(self.folder.name, "job.pkl"), Path(self.folder.name, "result.pkl")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "language.concurrent_training", "--child", component_class.__module__,
             str(self.job), str(self.result)],
            cwd=REPO, env=_child_environment(), stdin=subprocess.PIPE)

    def call(self, component: Any, fn_name: str, kwargs: dict[str, Any], handed_over: threading.Event) -> Any:
        if hasattr(component, "inputs_read_by"):  # only those are copied over
            kwargs = component.inputs_read_by(fn_name, kwargs)
        with self.job.open("wb") as file:
            _WithoutParsedDocuments(file, protocol=pickle.HIGHEST_PROTOCOL).dump((component, fn_name, kwargs))
        handed_over.set()
        self.process.stdin.close()
        if self.process.wait() != 0:
            name = f"{type(component).__name__}.{fn_name}"
            raise RuntimeError(f"{name} failed in its own process (exit {self.process.returncode})")
        with self.result.open("rb") as file:
            return pickle.load(file)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.folder.cleanup()


class _WithoutParsedDocuments(pickle.Pickler):
    """Pickles a job without spaCy's parsed documents (in the training data, next to the tokens): the
    components that train alongside read features, and documents were most of the time to copy the
    data over (pickling 5.4 -> 2.1 s, unpickling 7.1 -> 4.1 s)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is _SPACY_DOC:
            return type(None), ()
        return NotImplemented


def _child_environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}


def _child(module: str, job: str, result: str) -> None:
    importlib.import_module(module)
    sys.stdin.read()  # until the parent closes it: the job is written, or the training ended without it
    if not os.path.exists(job):
        return
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
        _child(*argv[1:4])
        return
    import rasa.__main__
    import rasa.model_training

    from language import fingerprints, training_shortcuts

    fingerprints.install()
    training_shortcuts.install()
    rasa.model_training.DaskGraphRunner = ConcurrentGraphRunner  # the class `rasa train` runs its graph with
    sys.argv = ["rasa", *argv]
    rasa.__main__.main()


if __name__ == "__main__":
    main(sys.argv[1:])
