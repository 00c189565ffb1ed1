"""The Textual user interface. It talks only to services/: no HTTP, no XML here."""
