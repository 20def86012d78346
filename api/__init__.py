"""FastAPI app: channel webhooks, Open311, the staff API, web pages and health."""
