"""The human workbooks of the report stage, one module each.

`style` holds the one writer they all use: the same look, print setup and
text-safety options everywhere; `display` turns record columns into the
strings people read.
"""
