"""The thinnest service of the same stack (FastAPI + asyncpg, no ORM), the benchmark's yardstick."""
