"""The statistics behind calibrated zero-shot tagging (clipdesk/tagging/calibration.py), with
no model: twin prompts, text evidence, how sharply scores split, when a verdict stands."""

from __future__ import annotations

import numpy as np

from clipdesk.tagging import calibration


def test_a_twin_keeps_the_prompt_form_and_swaps_each_word_the_same_way():
    twin = calibration.twin_prompts(["a photo of a red car.", "a red thing", "Red"], 0)
    made_up = twin[0].split()[4].rstrip(".")
    assert twin[0].startswith("a photo of a ") and made_up not in ("red", "car")
    assert twin[1].split()[0] == "a" and twin[1].split()[2] == "thing"
    assert twin[1].split()[1] == twin[0].split()[4] == twin[2]  # "red" everywhere alike
    assert calibration.twin_prompts(["a photo of a red car."], 1) != twin[:1]  # twins differ


def test_prompts_far_from_their_twins_are_evidence_and_a_twin_is_not():
    rng = np.random.default_rng(0)
    base = rng.normal(size=64)
    twins = base + rng.normal(scale=0.3, size=(8, 64))
    assert calibration.text_evidence(rng.normal(size=64), twins) > calibration.TEXT_EVIDENCE
    another = base + rng.normal(scale=0.3, size=64)
    assert calibration.text_evidence(another, twins) < calibration.TEXT_EVIDENCE


def test_two_groups_split_sharply_and_noise_does_not():
    rng = np.random.default_rng(1)
    noise = rng.normal(size=500)
    groups = np.concatenate([rng.normal(0, 1, 450), rng.normal(8, 1, 50)])
    assert calibration.split_strength(groups) > 2 * calibration.split_strength(noise)
    assert calibration.outlier_strength(np.append(noise, 12.0)) > 8


def test_a_verdict_stands_until_the_library_grows_by_a_quarter():
    assert calibration.same_library(100, 101) and calibration.same_library(100, 125)
    assert not calibration.same_library(100, 126) and not calibration.same_library(100, 79)
    assert not calibration.same_library(5, 12)  # from too few photos to measured
    assert not calibration.same_library(5, 6)  # below the minimum, every photo counts


def test_what_a_library_showed_is_kept_as_measurements_and_judged_by_the_rules_of_today():
    check = calibration.LibraryCheck(100, 4.2, 3.3, 3.5, 1.4)
    kept = calibration.Evidence(20.0, 100, 3.9, 1.0, check)
    again = calibration.Evidence.from_json(kept.to_json())
    assert again == kept and again.typical and not again.library and again.seen
    # An entry kept as a bare verdict (an older form) is measured again, not trusted.
    old = {"text": 20.0, "photos": 100, "library": True, "split": 3.9, "outlier": 1.0}
    assert calibration.Evidence.from_json(old) is None
    small = calibration.Evidence(20.0, 5)  # too few photos to measure: the prompts decide
    assert calibration.Evidence.from_json(small.to_json()) == small and small.seen
