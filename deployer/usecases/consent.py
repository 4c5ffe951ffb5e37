"""The one question a use case may ask before it changes something it cannot undo.

``Confirm`` asks it and answers True for yes; the UI supplies one when a person is at a
terminal, and None when nobody is (a pipeline), so the use case refuses unless ``--yes``
was given. ``destroy`` and ``redrive`` ask it; nothing here imports the UI.
"""

from __future__ import annotations

from collections.abc import Callable

Confirm = Callable[[str], bool]  # asks the question, True for yes
