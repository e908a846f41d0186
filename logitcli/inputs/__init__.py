"""Every input form -> `Batch`: numbers, JSON, stdin, files, targets, weights and class names.

Bad input becomes an `InputError` here, before any calculation runs.
"""
