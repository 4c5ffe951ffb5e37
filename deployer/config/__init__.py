"""Environment files, their validation, and finding the project on disk."""
