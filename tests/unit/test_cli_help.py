"""The terminal's help reads as one voice (issue 31, item 7): every command's own ``--help``
says what it does, every option says what it is for, and an argument is named for what it
takes (PHOTO for a photo, FOLDER for a folder, PATH where either will do)."""

from __future__ import annotations

import argparse
import io

import pytest

from clipdesk.cli import _parser
from clipdesk.cli.progress import ProgressPrinter
from clipdesk.cli.tagging import decided_words
from clipdesk.ops.tags import Decided

# What a positional argument may be called: each name says what it takes.
ARGUMENT_NAMES = {"PHOTO", "FOLDER", "PATH", "FILE", "DIR", "TEXT", "NAME", "ID", "OTHER"}
# Options whose module another change owns (clipdesk/cli/marks.py): their help comes there.
OWNED_ELSEWHERE = {("rate", "--pick"), ("rate", "--reject"), ("rate", "--unflag")}
COMMON = {"--home", "--model", "--backend", "--int8", "--no-faces", "--no-places", "-v", "--help"}


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):
    """Every command and sub-command: (its name as typed, its parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield prefix + name, command
                yield from _commands(command, f"{prefix}{name} ")


COMMANDS = dict(_commands(_parser()))


def _arguments(command: argparse.ArgumentParser):
    return [a for a in command._actions if not isinstance(a, argparse._SubParsersAction)]


def test_the_command_list_is_complete():
    assert {"add", "undo", "retrain", "repair", "tag", "review", "vocab import"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_commands_own_help_says_what_it_does(name):
    description = COMMANDS[name].description
    assert description and description[0].isupper() and description.endswith((".", ")")), name


@pytest.mark.parametrize("name", ["add", "undo", "retrain", "repair"])
def test_the_commands_issue_31_named_have_a_description_of_their_own(name):
    description = COMMANDS[name].description
    assert len(description.split()) > 12, description  # more than the one-line help
    assert description.split()[0] in COMMANDS[name].format_help()


def test_every_option_says_what_it_is_for():
    silent = [
        (name, a.option_strings[0])
        for name, command in COMMANDS.items()
        for a in _arguments(command)
        if a.option_strings
        and not a.help
        and not set(a.option_strings) & COMMON
        and (name, a.option_strings[0]) not in OWNED_ELSEWHERE
    ]
    assert not silent, silent


def test_tag_confirm_and_reject_have_help():
    help_text = COMMANDS["tag"].format_help()
    for flag in ("--confirm", "--reject", "--add"):
        line = next(line for line in help_text.splitlines() if line.strip().startswith(flag))
        assert len(line.split()) > 2, line  # the flag, TAG, then words


def test_arguments_are_named_for_what_they_take():
    odd = []
    for name, command in COMMANDS.items():
        for a in _arguments(command):
            if a.option_strings:  # an option's value: upper case, as argparse shows it
                shown = a.metavar if a.metavar is not None else a.dest.upper()
                names = shown if isinstance(shown, tuple) else (shown,)
                if a.nargs != 0 and any(n != n.upper() for n in names):
                    odd.append((name, a.option_strings[0], shown))
            elif a.metavar not in ARGUMENT_NAMES:
                odd.append((name, a.dest, a.metavar))
            elif a.dest in ("photo", "photos") and a.metavar != "PHOTO":
                odd.append((name, a.dest, a.metavar))
    assert not odd, odd


def test_add_and_watch_take_folders_and_similar_a_photo():
    usage = {n: COMMANDS[n].format_usage() for n in ("add", "watch", "similar", "tags")}
    assert "FOLDER [FOLDER ...]" in usage["add"]
    assert "[FOLDER ...]" in usage["watch"]
    assert usage["similar"].rstrip().endswith("PHOTO")
    assert usage["tags"].rstrip().endswith("PHOTO")


def test_a_decision_already_made_is_said_so_not_zero_photos():
    again = Decided(1, "Shapes|Circle", "confirmed", changed=0, already=2)
    assert decided_words(again) == "Shapes|Circle: already confirmed on 2 photos; no change"
    some = Decided(1, "Shapes|Circle", "rejected", changed=1, already=1)
    assert decided_words(some) == "Shapes|Circle: rejected on 1 photo (already on 1 other)"
    new = Decided(1, "Shapes|Circle", "confirmed", changed=3, already=0)
    assert decided_words(new) == "Shapes|Circle: confirmed on 3 photos"


def test_the_first_export_is_said_even_on_a_pipe_and_a_quick_load_only_on_a_terminal():
    pipe = io.StringIO()
    printer = ProgressPrinter(pipe, "test, CPU", "ViT-B-32")
    printer.loading(exporting=False)
    assert pipe.getvalue() == ""  # a pipe gets the summary; a quick load is no news there
    printer.loading(exporting=True)
    assert pipe.getvalue() == (
        "loading ViT-B-32 (first run: exporting it to ONNX, once; this can take a minute)...\n"
    )
