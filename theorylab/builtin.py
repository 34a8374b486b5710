"""theorylab's own families, listed in one place (``module:attr`` of each ``Family``).

Families of other installed packages come in through the ``theorylab.families`` entry-point
group (see :mod:`theorylab.core.registry`); they are treated exactly like these.
"""

BUILTIN = (
    "theorylab.diffusion.claims:FAMILY",
    "theorylab.large_lr.claims:FAMILY",
    "theorylab.manifold.claims:FAMILY",
    "theorylab.pmd.claims:FAMILY",
    "theorylab.rank_one.claims:FAMILY",
)
