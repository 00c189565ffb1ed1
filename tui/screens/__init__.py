"""Screens of the app: the list of synced CCOs and the modals it opens."""
