"""Keyword lists given by ``rdf:nodeID`` (f-spot's form, exiftool's ``XMP2.xmp`` sample): read
by following the reference, edited where the list is, and refused in plain words where they
cannot be. exiftool's view of the same files: tests/integration/test_xmp_corpus.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.sidecars.xmp import SidecarError, _exiv2, rdfedit, read_sidecar, safexml
from clipdesk.sidecars.xmp.nodeids import NodeIds
from clipdesk.sidecars.xmp.preserve import lost_properties

XMP2 = Path(__file__).parents[1] / "data" / "xmp_corpus" / "exiftool_XMP2.xmp"
SUBJECT = _exiv2.DC_SUBJECT


def _doc(body: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n<rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:acme="http://example.com/ns/acme/1.0/">\n'
        f"{body}</rdf:RDF>\n</x:xmpmeta>\n"
    ).encode()


def test_a_control_byte_in_the_packet_wrapper_is_not_a_broken_file():
    data = XMP2.read_bytes()
    assert data.startswith(b'<?xpacket begin="\x1a"')  # f-spot's byte where U+FEFF belongs
    root = safexml.parse(data)
    assert data[root.start : root.open_end] == b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    # Anywhere else such a byte is still not XML.
    with pytest.raises(safexml.XmlMalformed, match="not well-formed"):
        safexml.parse(_doc('<rdf:Description rdf:about="" dc:title="a\x1ab"/>\n'))


def test_the_sample_reads_its_keywords_from_the_list_its_subject_points_at():
    assert rdfedit.read_fields(XMP2.read_bytes())[SUBJECT] == ["ExifTool", "XMP", "nodeID", "test"]
    assert read_sidecar(XMP2).keywords.flat == ("ExifTool", "XMP", "nodeID", "test")


def test_nodes_and_the_properties_that_point_at_them_are_told_apart():
    data = _doc(
        '<rdf:Description rdf:about="">\n'
        ' <acme:A><rdf:Description rdf:nodeID="n" acme:x="1"/></acme:A>\n'
        ' <acme:B rdf:nodeID="n"/>\n'
        ' <acme:C rdf:parseType="Resource"><acme:D rdf:nodeID="n"/></acme:C>\n'
        "</rdf:Description>\n"
        '<rdf:Description rdf:nodeID="n" acme:y="2"/>\n'
    )
    rdf = next(e for e in safexml.parse(data).iter() if e.name == (safexml.RDF, "RDF"))
    ids = NodeIds.of(rdf)
    assert [e.local for e in ids.described["n"]] == ["Description", "Description"]
    assert [e.local for e in ids.pointers["n"]] == ["B", "D"]


def test_a_list_held_by_another_property_is_read_too():
    data = _doc(
        '<rdf:Description rdf:about="">\n'
        ' <acme:Notes><rdf:Bag rdf:nodeID="kw"><rdf:li>garden</rdf:li></rdf:Bag></acme:Notes>\n'
        ' <dc:subject rdf:nodeID="kw"/>\n'
        "</rdf:Description>\n"
    )
    assert rdfedit.read_fields(data)[SUBJECT] == ["garden"]


def test_the_list_is_edited_where_it_is_and_goes_with_its_reference():
    data = XMP2.read_bytes()
    new = rdfedit.edit_fields(data, {SUBJECT: ["ExifTool", "XMP", "nodeID", "test", "Dog"]})
    assert new == data.replace(
        b"   <rdf:li>test</rdf:li>\n", b"   <rdf:li>test</rdf:li>\n   <rdf:li>Dog</rdf:li>\n"
    )
    assert rdfedit.edit_fields(new, {SUBJECT: ["ExifTool", "XMP", "nodeID", "test"]}) == data
    empty = rdfedit.edit_fields(data, {SUBJECT: []})
    assert b"anon2" not in empty and b"<rdf:li>" not in empty
    assert rdfedit.read_fields(empty)[SUBJECT] == []
    # Only the keyword list went: every other property and value is there.
    assert lost_properties(data, empty) == []


def test_a_self_closing_list_gets_its_items():
    data = _doc(
        '<rdf:Bag rdf:nodeID="kw"/>\n'
        '<rdf:Description rdf:about="">\n <dc:subject rdf:nodeID="kw"/>\n</rdf:Description>\n'
    )
    new = rdfedit.edit_fields(data, {SUBJECT: ["Dog"]})
    assert b'<rdf:Bag rdf:nodeID="kw">\n <rdf:li>Dog</rdf:li>\n</rdf:Bag>\n' in new
    assert b'<dc:subject rdf:nodeID="kw"/>' in new


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '<rdf:Description rdf:about="">\n <dc:subject rdf:nodeID="kw"/>\n</rdf:Description>\n',
            "its dc:subject is given by reference (rdf:nodeID 'kw'), and the file does not "
            "have that node",
        ),
        (
            '<rdf:Description rdf:nodeID="kw" acme:x="1"/>\n'
            '<rdf:Description rdf:about="">\n <dc:subject rdf:nodeID="kw"/>\n</rdf:Description>\n',
            "its dc:subject is given by reference (rdf:nodeID 'kw') to a structure, not a list "
            "of keywords",
        ),
        (
            '<rdf:Bag rdf:nodeID="kw"><rdf:li>a</rdf:li></rdf:Bag>\n'
            '<rdf:Bag rdf:nodeID="kw"><rdf:li>b</rdf:li></rdf:Bag>\n'
            '<rdf:Description rdf:about="">\n <dc:subject rdf:nodeID="kw"/>\n</rdf:Description>\n',
            "its dc:subject is given by reference (rdf:nodeID 'kw'), and the file describes "
            "that node 2 times",
        ),
    ],
)
def test_a_reference_that_cannot_be_followed_says_why(tmp_path: Path, body: str, reason: str):
    side = tmp_path / "s.xmp"
    # f-spot's lists at the top, which exiv2's toolkit refuses ("not valid XMP"): the keyword
    # editor's reason is the one given.
    side.write_bytes(_doc('<rdf:Bag rdf:nodeID="other"><rdf:li>x</rdf:li></rdf:Bag>\n' + body))
    with pytest.raises(SidecarError) as caught:
        read_sidecar(side)
    assert caught.value.reason == reason  # well-formed XML: never "not valid XMP"


def test_a_list_the_subject_holds_and_another_property_points_at_is_refused():
    data = _doc(
        '<rdf:Description rdf:about="">\n'
        ' <dc:subject><rdf:Bag rdf:nodeID="kw"><rdf:li>garden</rdf:li></rdf:Bag></dc:subject>\n'
        ' <acme:Notes rdf:nodeID="kw"/>\n'
        "</rdf:Description>\n"
    )
    assert rdfedit.read_fields(data)[SUBJECT] == ["garden"]
    reason = (
        "its dc:subject is a list shared by reference (rdf:nodeID 'kw') with another property, "
        "which would change with it"
    )
    for wanted in (["garden", "Dog"], []):
        with pytest.raises(safexml.XmlRefused) as caught:
            rdfedit.edit_fields(data, {SUBJECT: wanted})
        assert str(caught.value) == reason
