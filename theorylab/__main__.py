"""``python -m theorylab``: the ``theorylab`` command without installing the package (a GPU node
without network access runs from the working tree with ``PYTHONPATH=.``)."""

from theorylab.core.cli import main

raise SystemExit(main())
