"""Read the union's files: tabular formats, headers, values, the schema; clear errors with Excel row numbers."""
