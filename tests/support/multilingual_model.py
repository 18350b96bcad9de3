"""A multilingual open_clip model with random weights, built offline for tests.

Like open_clip's ``xlm-roberta-base-ViT-B-32`` (a ViT image tower, an XLM-RoBERTa text tower
from Hugging Face transformers, mean pooling), only tiny: its tokenizer is a small
SentencePiece-style Unigram model trained here on a few sentences in eight scripts, saved
as the ``tokenizer.json`` a Hugging Face repository ships. Random weights are enough to
prove the path (export, torch vs ONNX, the torch-free tokenizer); they know nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "a photo of a dog on the beach",
    "ein Foto von einem Hund am Strand",
    "une photo d'un chien sur la plage",
    "una foto de un perro en la playa",
    "浜辺の犬の写真",
    "фотография собаки на пляже",
    "صورة كلب على الشاطئ",
    "समुद्र तट पर कुत्ते की तस्वीर",
    "a red circle, ein roter Kreis, un cercle rouge, 赤い円",
    "café crème brûlée naïve façade 🙂 🐶",
]


def build(folder: Path, context_length: int = 24) -> Path:
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import XLMRobertaConfig

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.UnigramTrainer(vocab_size=400, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator(SENTENCES * 20, trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tok.save(str(folder / "tokenizer.json"))
    names = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **names})
    )
    XLMRobertaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=context_length + 4,
        pad_token_id=tok.token_to_id("<pad>"),
        bos_token_id=bos,
        eos_token_id=eos,
    ).save_pretrained(folder)
    model_cfg = {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8},
        "text_cfg": {
            "hf_model_name": str(folder),
            "hf_tokenizer_name": str(folder),
            "hf_pooler_type": "mean_pooler",
            "hf_model_pretrained": False,
            "context_length": context_length,
        },
    }
    cfg = {
        "model_cfg": model_cfg,
        "preprocess_cfg": {
            "size": 32,
            "mean": [0.48145466, 0.4578275, 0.40821073],
            "std": [0.26862954, 0.26130258, 0.27577711],
            "interpolation": "bicubic",
            "resize_mode": "shortest",
        },
    }
    (folder / "open_clip_config.json").write_text(json.dumps(cfg, indent=2))
    import torch
    from open_clip.model import CustomTextCLIP
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = CustomTextCLIP(model_cfg["embed_dim"], model_cfg["vision_cfg"], model_cfg["text_cfg"])
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(weights, str(folder / "open_clip_model.safetensors"))
    return folder
