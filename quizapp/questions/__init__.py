"""The `quizapp questions` commands: the Flask-side entry to the pure bank library and the bank sync.

Kept out of `quizapp/bank/` so that library imports nothing from Flask or the database.
"""
