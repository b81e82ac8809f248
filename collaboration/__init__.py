"""Editing a medicine together without losing work.

merge.py merges a save based on an older version with the latest one (three
ways) and marks what overlaps; saving.py is the admin's save path around
monographs.editing.save_draft; models.py keeps who has a medicine's editor open
(Presence) and each editor's private autosaved text (Autosave); views.py
answers the editor page's polls and beacons; editor.py is what the editor page
shows of all this.
"""
