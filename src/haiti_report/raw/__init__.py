"""Reading data/raw: one strict reader for every raw file; parsers of dates, values and names."""
