"""The sentence of every error code, by domain: engine, images, remote servers, model manager, batch jobs.

Each module maps codes to functions of the error's attributes (``vars(error)``) that return the sentence in
the current UI language; a function raises ``KeyError`` when the error lacks an attribute it needs.
"""
