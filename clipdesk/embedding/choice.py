"""Which model runs, on which backend: resolved once from the command line and settings."""

from __future__ import annotations

from dataclasses import dataclass

from clipdesk.embedding.backends import accelerators, choose_backend
from clipdesk.embedding.registry import ModelSpec


@dataclass(frozen=True)
class EngineChoice:
    """The model (a name such as ``test`` or ``ViT-B-32:openai``, or a spec), the backend
    preference (auto, cuda, mps, cpu, onnx) and whether the CPU runs the int8 graph."""

    model: str | ModelSpec
    backend: str = "auto"
    int8: bool = False

    @classmethod
    def resolve(
        cls,
        settings,
        model: str | ModelSpec | None = None,
        backend: str | None = None,
        int8: bool | None = None,
    ) -> EngineChoice:
        """What was asked for this run, else what the settings say."""
        return cls(
            model or settings.model,
            backend or settings.backend,
            settings.int8 if int8 is None else bool(int8),
        )

    @property
    def model_name(self) -> str:
        return self.model if isinstance(self.model, str) else self.model.name

    def same_as_settings(self, settings) -> bool:
        return (settings.model, settings.backend, settings.int8) == (
            self.model,
            self.backend,
            self.int8,
        )

    def planned_backend(self) -> str:
        """The backend a run would use, without loading the model."""
        chosen = choose_backend(self.backend, *accelerators())
        return {"cuda": "cuda-fp16", "mps": "mps", "cpu": "torch-cpu"}.get(
            chosen, "onnx-cpu-int8" if self.int8 else "onnx-cpu"
        )

    def describe(self) -> str:
        """For the status bar: 'auto backend', 'onnx int8'."""
        text = {"auto": "auto backend"}.get(self.backend, self.backend)
        return text + (" int8" if self.int8 else "")
