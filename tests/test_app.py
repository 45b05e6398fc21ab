"""How a serving process is set up, beyond its routes."""

import sys

from waitline.app import SWITCH_INTERVAL_SECONDS


def test_a_started_app_hands_the_gil_over_quickly(client):
    # The `client` fixture has run the app's startup.
    assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS
    assert SWITCH_INTERVAL_SECONDS < 0.005  # shorter than the interpreter's default
