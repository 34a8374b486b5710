import pytest

import theorylab
from proofs_check import all_checks


@pytest.mark.parametrize("name, fn", all_checks(), ids=[n for n, _ in all_checks()])
def test_symbolic_check(name, fn):
    with theorylab.x64():  # as `python -m proofs_check` runs them: the spot checks call float64 families
        fn()
