"""Reading case exports and writing outputs, one module per concern.

- ``sources``: finding inputs (files, folders) and their formats;
- ``text``: opening text inputs (gzip, encodings, CSV header);
- ``batch``: the RawBatch every reader yields for validation;
- ``parquet_reader``, ``csv_reader``, ``json_reader``: one reader per format; ``raw.iter_raw`` picks;
- ``cases``: typed reading of the columns scoring needs;
- ``atomic``: atomic writes.
"""
