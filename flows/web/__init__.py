"""The officers' workspace in the browser (`tepat web`): see flows/web/app.py."""
