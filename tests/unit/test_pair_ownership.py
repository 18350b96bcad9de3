"""Whose ``photo.xmp`` it is when a RAW+JPEG pair shares a base name: one rule, for import as
for export (the RAW's, or the file its ``photoshop:SidecarForExtension`` names)."""

from __future__ import annotations

import pytest

_PACKET = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{}</rdf:RDF></x:xmpmeta>"""


_PS = 'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'


@pytest.mark.parametrize(
    ("files", "mark", "owner"),
    [
        (["p.jpg"], None, "p.jpg"),  # alone: its own, whatever it says
        (["p.jpg", "p.cr2"], None, "p.cr2"),  # Lightroom's convention: the RAW's
        (["p.jpg", "p.CR2"], "attr:JPG", "p.jpg"),  # Adobe's mark, any case
        (["p.JPG", "p.cr2"], "elem:jpg", "p.JPG"),
        (["p.jpg", "p.cr2"], "attr:DNG", "p.cr2"),  # names no file here: the RAW's still
        (["p.jpg", "p.png"], None, None),  # no RAW: nobody's
        (["p.nef", "p.cr2"], None, None),  # two RAWs: nobody's
    ],
)
def test_whose_photo_xmp_is_one_rule(tmp_path, files, mark, owner):
    from clipdesk.sidecars.xmp.naming import find_sidecar
    from clipdesk.sidecars.xmp.ownership import Siblings

    for name in files:
        (tmp_path / name).write_bytes(b"not read")
    body = ""
    if mark and mark.startswith("attr:"):
        body = f'<rdf:Description {_PS} photoshop:SidecarForExtension="{mark[5:]}"/>'
    elif mark:
        body = (
            f"<rdf:Description {_PS}><photoshop:SidecarForExtension>{mark[5:]}"
            "</photoshop:SidecarForExtension></rdf:Description>"
        )
    (tmp_path / "p.xmp").write_text(_PACKET.format(body))
    siblings = Siblings()
    assert siblings.owner(str(tmp_path / files[0])) == owner
    for name in files:  # import reads photo.xmp only for its owner, whatever is preferred
        for prefer in ("ext", "base"):
            found = find_sidecar(tmp_path / name, prefer, siblings)
            assert found == (tmp_path / "p.xmp" if name == owner else None), (name, prefer)
    own = tmp_path / f"{files[0]}.xmp"
    own.write_text(_PACKET.format(""))  # with both, base preferred: photo.xmp if it is its own
    expected = tmp_path / "p.xmp" if files[0] == owner else own
    assert find_sidecar(tmp_path / files[0], "base", Siblings()) == expected
