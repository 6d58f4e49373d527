"""Small Rasa graph components for the concurrent training runner's tests (they must be importable by
the runner's child processes, hence a module of their own)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class _Component(GraphComponent):
    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config, self.model_storage, self.resource = config, model_storage, resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> _Component:
        return cls(config, model_storage, resource)


class Numbers(_Component):
    def provide(self) -> list[int]:
        return [1, 2, 3, 4]


class Trainer(_Component):
    """Writes what it trained on and in which process; with `wait_for`, first waits until that trainer
    has started (so two trainers that wait for each other finish only if they run at the same time)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"signals": "", "wait_for": "", "fail": False, "reads_first": 0}

    def train(self, numbers: list[int]) -> Resource:
        signals = Path(self.config["signals"]) if self.config["signals"] else None
        if signals:
            (signals / f"{self.resource.name}.started").touch()
        if self.config["wait_for"]:
            other = signals / f"{self.config['wait_for']}.started"
            deadline = time.monotonic() + 120
            while not other.exists():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{other.name} never appeared: the trainers did not run at the same time")
                time.sleep(0.05)
        if self.config["fail"]:
            raise ValueError("training failed")
        with self.model_storage.write_to(self.resource) as folder:
            (folder / "trained.txt").write_text(f"{sum(numbers)} {os.getpid()}")
        return self.resource


class AlongsideTrainer(Trainer):
    trains_alongside = True

    def inputs_read_by(self, fn_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """With `reads_first`, says that `train` reads only that many of the numbers."""
        if fn_name != "train" or not self.config["reads_first"]:
            return inputs
        return {**inputs, "numbers": inputs["numbers"][: self.config["reads_first"]]}
