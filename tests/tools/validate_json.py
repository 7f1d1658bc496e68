#!/usr/bin/env python3
"""validate_json.py SCHEMA_DIR SCHEMA FILE: checks the JSON document FILE against SCHEMA_DIR/SCHEMA
(JSON Schema 2020-12; the other schemas of SCHEMA_DIR resolve its $refs). Exit 0 when it holds,
1 with the first problems when not. Works with python3-jsonschema 4.10 (Debian 12) and later."""
import json
import pathlib
import sys

import jsonschema

schema_dir, name, path = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
schemas = {}
for f in schema_dir.glob("*.json"):
    doc = json.loads(f.read_text())
    schemas[doc["$id"]] = doc
schema = json.loads((schema_dir / name).read_text())
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
try:
    from referencing import Registry, Resource  # jsonschema 4.18 and later

    registry = Registry().with_resources((uri, Resource.from_contents(doc)) for uri, doc in schemas.items())
    validator = cls(schema, registry=registry)
except ImportError:
    resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=schemas)
    validator = cls(schema, resolver=resolver)
document = json.loads(pathlib.Path(path).read_text())
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
for e in errors[:5]:
    print(f"{path}: {name}: at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}", file=sys.stderr)
sys.exit(1 if errors else 0)
