"""The editorial workflow around monograph versions: review, comments, withdrawal, scheduled
publishing, and druginfo's admin site with its dashboard."""
