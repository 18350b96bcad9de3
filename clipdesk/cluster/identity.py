"""Which model made a vector: its canonical name and the SHA-256 of its weights file, the
pair that a cluster run writes into every shard row and an import checks against the
library's model. Found without loading the model (the file's hash is remembered by path,
size and mtime, so big weights are hashed once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.embedding import ModelSpec, parse_model
from clipdesk.embedding.weights import check_hash, weights_file


@dataclass(frozen=True)
class ModelIdentity:
    name: str
    weights_sha256: str

    def describe(self) -> str:
        return f"{self.name} (weights {self.weights_sha256[:12]})"


def model_identity(model: str | ModelSpec, weights_dir: Path) -> ModelIdentity:
    """The model's name and weights hash (a pretrained tag's weights are downloaded into
    ``weights_dir`` first if they are not there: the vectors are only as good as them)."""
    spec = model if isinstance(model, ModelSpec) else parse_model(model)
    return ModelIdentity(spec.name, check_hash(spec, weights_file(spec, weights_dir), weights_dir))
