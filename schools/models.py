"""Models of Action 1; added by its issue."""
