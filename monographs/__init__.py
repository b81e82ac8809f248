"""Medicine monographs: from Markdown files to pages, search and printable leaflets."""
