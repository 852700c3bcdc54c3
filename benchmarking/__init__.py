"""Association benchmarking without a database: the statistics pages, workbooks and the command line show.

``statistics`` turns a round's published release into the views every output formats (distributions,
segments, common gaps, a member's comparison); ``labels`` names units and segments in one language.
Pure like :mod:`scoring`: services load and authorise, then call these; the workbook writers
(:mod:`excel.benchmark`) and the pages only format what they return (tests/test_layers.py).
"""
