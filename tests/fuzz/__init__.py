"""Property-based fuzzing of what a person types and what the server answers."""
