"""The shipped Word (docxtpl) templates, one per document kind; see README.md and build.py."""
