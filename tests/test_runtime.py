"""What a started app sets for the interpreter it runs in."""

import gc
import sys

from waitline.app import GC_THRESHOLDS, SWITCH_INTERVAL_SECONDS


def test_a_started_app_hands_the_gil_over_quickly_and_collects_garbage_less_often(client):
    assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS
    assert gc.get_threshold() == GC_THRESHOLDS
    # The objects of the imports and the app's set-up, out of the collector's sight.
    assert gc.get_freeze_count() > 100_000
