"""Differentially private releases of benchmark statistics (pure: no database, no Streamlit).

The one place where privacy is decided (docs/benchmarking.md, "Threat model" and "Releases"):
:func:`privacy.release.build_release` turns the scores of a round's members into the statistics
an association and its members may see — which groups are shown (independent anonymous members
only count toward the threshold), which counts are hidden (complementary suppression), and the
differentially private quantiles, counts and gap counts (OpenDP). Services store what it returns
and every page, workbook and command shows only that.
"""
