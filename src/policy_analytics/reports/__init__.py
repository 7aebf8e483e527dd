"""The governor reports: figures for a period (data), tables and charts (tables, charts), the
disclosure rules (suppression), the sections a notebook shows (sections), and papermill rendering
to HTML and PDF (render)."""
