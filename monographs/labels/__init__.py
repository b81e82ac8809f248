"""Official labels in: US SPL and EU ePI documents read into plain text by section
(reading.py, spl.py, epi.py), and turned into draft monographs (drafts.py).

`read_label(path) -> Label` is the one entry point for anything that reads a
label (the importer, the number audit); `NotALabel` says why a file is not one.
"""

from .reading import Label, LabelSection, NotALabel, Product, read_label, read_label_bytes

__all__ = ["Label", "LabelSection", "NotALabel", "Product", "read_label", "read_label_bytes"]
