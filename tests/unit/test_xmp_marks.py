"""The marks in XMP (clipdesk/sidecars/xmp/marks.py, marks_plan.py, sync_plan.py): what each
program's fields say, which one is believed when they disagree, and what an export writes,
three ways against the base. Pure functions on bytes: no file, no process."""

from __future__ import annotations

from clipdesk.catalog.marks import Marks
from clipdesk.sidecars.xmp import rdfedit
from clipdesk.sidecars.xmp.fields import Keywords
from clipdesk.sidecars.xmp.marks import (
    COLOR_LABEL,
    DT_LABELS,
    LABEL,
    PICK_LABEL,
    RATING,
    Seen,
    read_fields,
    resolve,
)
from clipdesk.sidecars.xmp.marks_plan import MarksRequest, plan_marks, settle
from clipdesk.sidecars.xmp.sync_plan import KeywordsSeen, keyword_view


def xmp(body: str, attrs: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:digiKam="http://www.digikam.org/ns/1.0/" '
        f'xmlns:darktable="http://darktable.sf.net/" {attrs}>{body}'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def test_every_programs_fields_are_read_as_elements_or_attributes():
    data = xmp(
        "<xmp:Label>Green</xmp:Label><darktable:colorlabels><rdf:Seq><rdf:li>3</rdf:li>"
        "<rdf:li>0</rdf:li></rdf:Seq></darktable:colorlabels>",
        'xmp:Rating="4" digiKam:ColorLabel="4" digiKam:PickLabel="3"',
    )
    assert read_fields(data) == {
        RATING: "4",
        LABEL: "Green",
        COLOR_LABEL: "4",
        PICK_LABEL: "3",
        DT_LABELS: ("3", "0"),
    }
    assert resolve(read_fields(data)) == {"stars": 4, "flag": "pick", "label": "green"}
    assert read_fields(b"not xml") == {} and read_fields(None) == {}


def test_each_programs_words_for_the_marks():
    assert resolve({RATING: "-1"}) == {"flag": "reject"}  # a -1 says nothing of the stars
    assert resolve({RATING: "0"}) == {"stars": 0}
    assert resolve({RATING: "2.0", LABEL: "purple"}) == {"stars": 2, "label": "purple"}
    assert resolve({PICK_LABEL: "1"}) == {"flag": "reject"}
    assert resolve({PICK_LABEL: "2"}) == {"flag": None}  # digiKam's "pending": no flag
    assert resolve({COLOR_LABEL: "6"}) == {"label": "purple"}  # digiKam's magenta
    assert resolve({COLOR_LABEL: "2"}) == {"label": None}  # orange: a label ClipDesk lacks
    assert resolve({LABEL: "Approved"}) == {"label": None}  # a Lightroom label set's own
    assert resolve({DT_LABELS: ("1", "3")}) == {"label": "yellow"}  # darktable: the first
    assert resolve({RATING: "9", PICK_LABEL: "x"}) == {}  # nonsense says nothing


def test_when_fields_disagree_the_documented_order_decides():
    # never read before: the rating's -1 before the pick label, digiKam's number first
    assert resolve({RATING: "-1", PICK_LABEL: "3"})["flag"] == "reject"
    assert resolve({RATING: "0", PICK_LABEL: "1"})["flag"] == "reject"  # digiKam's reject
    assert resolve({COLOR_LABEL: "0", LABEL: "Red"})["label"] is None  # digiKam cleared it
    assert resolve({LABEL: "Red", DT_LABELS: ("2",)})["label"] == "red"


def test_the_field_that_changed_wins_and_a_stale_one_never_flips_a_mark_back():
    # ClipDesk wrote red and a reject; digiKam then set orange, darktable rated over the -1
    then = {RATING: "-1", PICK_LABEL: "1", LABEL: "Red", COLOR_LABEL: "1"}
    seen = Seen(then, resolve(then))
    now = {**then, COLOR_LABEL: "2", RATING: "4"}
    stated = resolve(now, seen)
    assert stated == {"stars": 4, "flag": None, "label": None}
    # read again unchanged: what it said stays, though PickLabel 1 and xmp:Label Red are stale
    assert resolve(now, Seen(now, stated)) == stated
    # digiKam accepts a photo ClipDesk rejected: PickLabel changed, the -1 is stale
    assert resolve({**then, PICK_LABEL: "3"}, seen)["flag"] == "pick"
    # every field of a mark taken away: unrated, unlabelled, unflagged
    assert resolve({}, Seen({RATING: "3", LABEL: "Red"}, {"stars": 3, "label": "red"})) == {
        "stars": 0,
        "label": None,
        "flag": None,
    }


def _plan(now: dict, marks: Marks, base: Marks | None = None, written=None, seen=True):
    seen_now = Seen(now, resolve(now)) if seen else None
    req = MarksRequest(marks, base or Marks(), seen_now, written or {})
    return plan_marks(now, req), req


def test_clipdesks_change_is_written_in_every_programs_field():
    plan, _ = _plan({}, Marks(3, "green", "pick"))
    assert plan.rating.edit == {
        RATING: "3",
        PICK_LABEL: "3",
        LABEL: "Green",
        COLOR_LABEL: "4",
    }
    assert plan.changes == ("stars: 3", "label: green", "flag: pick")
    plan, _ = _plan({}, Marks(0, None, "reject"))
    assert plan.rating.edit == {RATING: "-1", PICK_LABEL: "1"}
    assert plan.rating.change == "rejected" and plan.changes == ()  # "rating: rejected"


def test_a_value_another_program_set_is_kept_unless_clipdesk_changed_it():
    theirs = {RATING: "4", LABEL: "Blue", COLOR_LABEL: "5"}
    # ClipDesk changed only the label: their rating stays
    plan, _ = _plan(theirs, Marks(4, "red"), base=Marks(4, "blue"))
    assert plan.rating.edit == {LABEL: "Red", COLOR_LABEL: "1"}
    # a reject where they gave stars: their rating stays, the reject goes in PickLabel
    plan, _ = _plan(theirs, Marks(4, "blue", "reject"), base=Marks(4, "blue"))
    assert plan.rating.edit == {PICK_LABEL: "1"}
    assert plan.rating.note == "kept the rating 4 another program set"
    # stars cleared in ClipDesk: a rating ClipDesk wrote goes, another program's becomes 0
    plan, _ = _plan({RATING: "4"}, Marks(), base=Marks(4), written={RATING: "4"})
    assert plan.rating.edit == {RATING: None}
    plan, _ = _plan({RATING: "4"}, Marks(), base=Marks(4))
    assert plan.rating.edit == {RATING: "0"}
    # no stars and no flag, and no rating there: none is written
    plan, _ = _plan({}, Marks(0, "red"), base=Marks())
    assert RATING not in plan.rating.edit


def test_three_ways_one_side_wins_the_same_change_agrees_a_different_one_conflicts():
    seen_then = {RATING: "3", LABEL: "Red", COLOR_LABEL: "1"}
    seen = Seen(seen_then, resolve(seen_then))
    base = Marks(3, "red")
    now = {RATING: "5", LABEL: "Red", COLOR_LABEL: "1"}  # the file: 5 stars
    req = MarksRequest(Marks(3, "blue"), base, seen)  # ClipDesk: blue
    plan = plan_marks(now, req)
    assert plan.writes == {"label": "blue"} and plan.kept == ("stars",)
    assert plan.rating.edit == {LABEL: "Blue", COLOR_LABEL: "5"}
    assert plan.rating.note.startswith("kept the rating 5 another program set")
    after = settle(plan, req, {**now, LABEL: "Blue", COLOR_LABEL: "5"}, wrote=True)
    assert after.base == Marks(3, "blue") and after.unseen  # the 5 stars: read next time
    # both changed the stars: the same value agrees, another value conflicts
    assert plan_marks(now, MarksRequest(Marks(5, "red"), base, seen)).in_step == ("stars",)
    plan = plan_marks(now, MarksRequest(Marks(2, "red"), base, seen))
    assert [(c.mark, c.clipdesk, c.file, c.base) for c in plan.conflicts] == [("stars", 2, 5, 3)]
    assert plan.rating.edit == {}  # left as it is


def test_a_keyword_removed_darktables_way_is_gone_though_tagslist_still_holds_it():
    then = Keywords(("Rome", "Snow"), ("Trips|Rome",), ("Trips/Rome",))
    seen = KeywordsSeen(then, frozenset({"Trips|Rome", "Snow"}))
    now = Keywords(("Snow",), (), ("Trips/Rome",))  # dc:subject and lr: edited, TagsList not
    assert keyword_view(now, seen) == {"Snow"}
    assert now.paths == {"Trips|Rome", "Snow"}  # what a first read would take
    # read again as it is: still gone; and a keyword added anywhere is there
    assert keyword_view(now, KeywordsSeen(now, frozenset({"Snow"}))) == {"Snow"}
    added = Keywords(("Snow", "Dog"), (), ("Trips/Rome",))
    assert keyword_view(added, KeywordsSeen(now, frozenset({"Snow"}))) == {"Snow", "Dog"}


def test_the_keyword_editor_replaces_a_value_where_it_is_every_other_byte_kept():
    data = xmp("<dc:title>x</dc:title>", 'xmp:Rating="3"').replace(
        b'xmlns:xmp="', b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="'
    )
    new = rdfedit.edit_fields(data, {}, {RATING: "5", PICK_LABEL: "1"})
    assert read_fields(new)[RATING] == "5" and read_fields(new)[PICK_LABEL] == "1"
    assert new.replace(b"<xmp:Rating>5</xmp:Rating>", b"").replace(
        b"<digiKam:PickLabel>1</digiKam:PickLabel>", b""
    ) == data.replace(b' xmp:Rating="3"', b"")
