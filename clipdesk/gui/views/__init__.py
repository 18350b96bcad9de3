"""What the window draws: pages, panels, dialogs and widgets, layout only.

A view never imports a controller; it emits signals, and the controller that owns it reacts.
"""
