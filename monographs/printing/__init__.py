"""Every print product of the site: the leaflets, summaries, schedules, cards and "my medicines".

The only package that imports weasyprint (and segno, for the QR codes).
"""
