"""Models of Action 4; added by its issue."""
