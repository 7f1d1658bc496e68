-- pki schema, migration 2: the file names itself as a pki store, and keys carry a checksum.

-- application_id (RFC-less, SQLite's header field at offset 68): 'PKI1' = 0x504b4931. pki reads it
-- from the file header on every open, before SQLite or anything else touches the file: a SQLite
-- file of another application is refused untouched. A store made before this migration (no
-- application_id) is recognised by schema version 1 and its exact set of tables, and stamped here.
PRAGMA application_id = 1347111217;

-- SHA-256 of pkcs8_pem as stored, so that a damaged key is told apart from a wrong passphrase. NULL
-- for keys stored before this migration.
ALTER TABLE keys ADD COLUMN pkcs8_sha256 TEXT;
