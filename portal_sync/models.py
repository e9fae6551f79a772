"""Models of Action 3; added by its issue."""
