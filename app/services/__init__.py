"""Business logic. Services flush, never commit: the HTTP request's route commits once."""
