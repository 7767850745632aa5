"""Importers: any city's hotline export in, jiesu case records out, through a declarative mapping.

- ``mapping``: the mapping file format (``schemas/mapping.schema.json``), loading and checking;
- ``readers``: CSV, XLSX, JSON and NDJSON, only the columns a mapping names;
- ``times``: time layouts and local times to UTC (daylight saving counted);
- ``engine``: the columnar mapping of batches, with the report's counts;
- ``run``: ``import_cases``; ``infer``: ``infer_profile``;
- ``mappings/*.toml``: the built-in mappings (boston-311, nyc-311, open311, cn-12345).

Modules are imported where they are used, so ``import jiesu.importers`` stays cheap.
"""
