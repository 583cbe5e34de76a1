"""API shapes (pydantic v2). Tables live in app.models; these are what clients see."""
