"""Reading data/raw: one strict reader for every raw file, and the parsers of dates, values and names."""
