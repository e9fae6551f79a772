"""The REST API under /api/v1/ (DRF): each app adds its viewsets to the router in urls.py."""
