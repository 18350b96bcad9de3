"""Which model runs, on which backend: resolved once from the command line and settings."""

from __future__ import annotations

from dataclasses import dataclass

from clipdesk.embedding.backends import BackendPlan, plan_backend
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

    def plan(self) -> BackendPlan:
        """The backend a run would use and why, without loading the model (`clipdesk
        status`; torch is asked where it is installed and a GPU could be there)."""
        plan = plan_backend(self.backend, self.int8)
        assert plan is not None  # torch asked
        return plan

    def describe(self) -> str:
        """For the status bar and About: where it runs and why, e.g. 'CPU (ONNX Runtime):
        there is no GPU here'. Never imports torch (the window asks on its GUI thread):
        where only torch can tell, it says what depends on it."""
        plan = plan_backend(self.backend, self.int8, ask_torch=False)
        if plan is None:
            int8 = ", int8" if self.int8 else ""
            return f"the GPU (torch) if torch sees one, else the CPU (ONNX Runtime{int8})"
        if not plan.usable:
            return f"{plan.where}: cannot run here: {plan.why}"
        if plan.broken:  # the banner says the rest (the error, what repairs it)
            return f"{plan.where}: torch is installed but broken"
        return f"{plan.where}: {plan.why}"
