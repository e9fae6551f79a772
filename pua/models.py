"""Models of Action 2; added by its issue."""
