import pytest

from proofs_check import all_checks


@pytest.mark.parametrize("name, fn", all_checks(), ids=[n for n, _ in all_checks()])
def test_symbolic_check(name, fn):
    fn()
