"""This package's own test suite, written as any theorylab user would: the fixtures and the
``--theorylab-regen-pins`` option come from theorylab's pytest plugin."""

from theorylab.testing import assert_alternatives_excluded, assert_passed


def test_rate_passes_and_the_near_miss_is_rejected(theorylab_verdict):
    assert_passed(theorylab_verdict("sgd.rate_in_t"))


def test_rate_excludes_the_declared_alternative(theorylab_verdict):
    assert_alternatives_excluded(theorylab_verdict("sgd.rate_in_t"))


def test_slopes_stay_pinned(theorylab_verdict, theorylab_pins):
    # the claim's slope and its control's, in tests/pins.json (pytest.ini option theorylab_pins)
    theorylab_pins.assert_pinned(theorylab_verdict("sgd.rate_in_t"))
