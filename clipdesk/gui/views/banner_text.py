"""The banner's words: a reason the core wrote for the terminal, said in the window's terms.

The core's reasons (a model that cannot be had, a damaged catalog) start in lowercase, to
follow a colon on the command line, and name the command's options (``--model test``).
In the window a reason follows a bold title as a sentence of its own, and says what to do
with the window's own buttons and the Settings dialog; an option, a name or an address left
in it is kept on one line (a path may break after a slash; a command stands on a line of its
own), and an address is a link.
"""

from __future__ import annotations

import html
import re

# The command line's advice -> the window's buttons (the model banner offers Retry,
# Choose a file… and Use the test model) and the Settings dialog.
WINDOW_TERMS = (
    (
        re.compile(r"Connect to the internet once, or\b"),
        "Connect to the internet and press Retry; or",
    ),
    (re.compile(r"Connect to the internet once\b"), "Connect to the internet and press Retry"),
    (
        re.compile(r"\s*\(or try ClipDesk with its small built-in model: --model test\)"),
        "; or press Use the test model to try ClipDesk with its small built-in model",
    ),
    (
        re.compile(r"\brun with --model [^\s;,()]+"),
        "choose it in Settings (Choose a file…, then Local file…)",
    ),
    (
        re.compile(r"\buse --backend onnx(?: \(ONNX Runtime on the CPU\))?"),
        "choose ONNX Runtime on the CPU under Runs on in Settings",
    ),
    (re.compile(r"--model test\b"), "Use the test model"),
)
# What must not break across lines: an address, an option with its value, a word that holds
# a hyphen, a slash or a colon (a model's name). Qt breaks a line after a hyphen or a slash
# and honours no inline "white-space: nowrap", so a word joiner follows each of them there.
# A path stays as it is (it may break after a slash), to be copied as it is; so does a
# command, on a line of its own.
UNBROKEN = re.compile(
    r"(?P<url>https?://[^\s()]+)"
    r"|(?P<code>`[^`]+`)"
    r"|(?P<option>--\w[\w-]*(?: (?!--)[^\s(),;`]+)?)"
    r"|(?P<word>[^\s(),;`]*[-/:~](?=[\w~/])[^\s(),;`]*)"
)
JOINER = "\u2060"  # WORD JOINER: no line break here


def joined(text: str) -> str:
    """``text`` with no line break after its hyphens, slashes and colons, or at its spaces."""
    for c in "-/:.":
        text = text.replace(c, c + JOINER)
    return text.replace(" ", "\u00a0")


def sentence(text: str) -> str:
    """``text`` as a sentence of its own: a capital first letter, a full stop."""
    text = text.strip()
    if text and text[-1] not in ".!?…":
        text += "."
    return text[:1].upper() + text[1:]


def window_terms(text: str) -> str:
    """The command line's advice in ``text`` said with the window's buttons and Settings."""
    for pattern, words in WINDOW_TERMS:
        text = pattern.sub(words, text)
    return text


def reason_html(text: str) -> str:
    """A reason from the core as rich text for the banner: a sentence, in the window's terms,
    its addresses links, and no line break inside an option, a path or a name."""
    return _unbroken(window_terms(sentence(text)))


def _unbroken(text: str) -> str:
    out, at = [], 0
    for m in UNBROKEN.finditer(text):
        if m.start() < at:  # inside what follows a command, skipped below
            continue
        token, tail = m.group(), ""
        while token[-1:] in (".", ":"):  # a sentence's full stop is not part of a path
            token, tail = token[:-1], token[-1] + tail
        out.append(html.escape(text[at : m.start()]))
        if not token or token.startswith(("/", "~")):  # a path: copied as it is
            piece = html.escape(token)
        elif m.lastgroup == "url":
            shown = html.escape(joined(token.split("://", 1)[1]))
            piece = f'<a href="{html.escape(token)}">{shown}</a>'
        elif m.lastgroup == "code":  # a command to copy: whole, on a line of its own
            piece = f"<pre>{html.escape(token.strip('`'))}</pre>"
        else:
            piece = html.escape(joined(token))
        out.append(piece + html.escape(tail))
        at = m.end()
        if m.lastgroup == "code":  # its line ends the clause: no stray comma or full stop
            at += re.match(r"[.,;]?\s*", text[at:]).end()
    out.append(html.escape(text[at:]))
    return "".join(out)
