"""Per-student variants: one spec, a different checked problem and key for every student or pool entry.

``table`` reads the spec's ``[problem.vary]``, ``tolerance`` and ``[variants]`` keys at load time (``paths``
resolves a field's path to its declaration, ``conditions`` reads ``require``); ``stream`` is derive's own
seeded generator; ``draw`` draws a problem's values for a student; ``run`` is ``derive variants`` (the files,
the manifest, the answers table) and ``make`` runs it from start to end, ``audit`` ``--check`` and ``--merge``,
``stress`` ``--stress``, ``cluster`` ``--scheduler`` (the variants on a Dask cluster), ``book`` the instructor's
book, ``dates`` the PDFs' date.
"""
