"""Without a display the window cannot open: one line says so and names the terminal
commands, before Qt would abort (the check reads the environment; the X server is asked)."""

from __future__ import annotations

import pytest

from clipdesk.gui.system_check import TERMINAL, display_problem, startup_problem


def _server(up: bool):
    return lambda display: up


def test_no_display_variable_at_all_says_so_and_names_the_terminal_commands():
    message = display_problem({}, "linux", _server(True))
    assert message is not None and "\n" not in message
    assert "there is no display (DISPLAY and WAYLAND_DISPLAY are not set)" in message
    assert "`clipdesk --help`" in message and "`clipdesk add FOLDER`" in message
    assert "`clipdesk search TEXT`" in message and TERMINAL in message


def test_a_display_nobody_answers_at_is_no_display():
    message = display_problem({"DISPLAY": ":99"}, "linux", _server(False))
    assert message is not None and "cannot connect to an X server at DISPLAY=:99" in message


@pytest.mark.parametrize(
    "environ",
    [
        {"DISPLAY": ":0"},
        {"WAYLAND_DISPLAY": "wayland-0"},
        {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
        {"QT_QPA_PLATFORM": "offscreen"},  # as the tests run: no display needed
        {"QT_QPA_PLATFORM": "minimal"},
    ],
)
def test_a_display_or_a_platform_that_needs_none_is_fine(environ):
    assert display_problem(environ, "linux", _server(True)) is None


def test_the_wayland_platform_asked_for_needs_wayland_display():
    message = display_problem({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux")
    assert message is not None and "WAYLAND_DISPLAY is not set" in message


def test_on_wayland_the_x_server_is_not_asked():
    environ = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert display_problem(environ, "linux", _server(False)) is None


def test_not_linux_checks_nothing():
    assert display_problem({}, "darwin", _server(False)) is None
    assert display_problem({}, "win32", _server(False)) is None


def test_no_display_comes_before_the_x11_libraries_they_would_need():
    """Without a display the missing xcb libraries are not the problem."""
    message = startup_problem({}, "linux", lambda soname: "xcb" not in soname, _server(True))
    assert message is not None and message.startswith("there is no display")
    libs = startup_problem({"DISPLAY": ":0"}, "linux", lambda s: "xcb" not in s, _server(False))
    assert libs is not None and libs.startswith("the desktop app needs system libraries")
