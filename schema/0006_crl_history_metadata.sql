-- A CA that publishes a million-entry CRL every day would keep 46 MB a day of CRLs nobody reads:
-- only the newest complete CRL and the newest delta CRL of each CA key are served (and a delta is
-- computed from its base's entries). From here on, publishing a CRL keeps it whole and turns the
-- older CRLs of the same key and kind into metadata: `der` NULL, its number, times, entry count
-- and `fingerprint` (SHA-256 of the DER) kept. CRLs published before this migration have no
-- fingerprint recorded and are kept whole.
--
-- SQLite cannot relax a NOT NULL in place: the table is rebuilt (SQLite's documented procedure;
-- nothing references crls). `der` becomes the last column: SQLite keeps a zeroblob out of memory
-- only when it ends the record, so a new CRL's row is made without building the CRL in memory
-- (twice) before its bytes are written in place (see 0005). No CHECK names `der`, for the same
-- reason; pki sets `der` NULL only on rows that have their fingerprint.
CREATE TABLE crls_v6 (
  id           INTEGER PRIMARY KEY,
  issuer_id    INTEGER NOT NULL REFERENCES authorities(id),
  crl_number   INTEGER NOT NULL CHECK (crl_number > 0),
  this_update  TEXT NOT NULL,
  next_update  TEXT NOT NULL,
  entries      INTEGER NOT NULL,
  generation   INTEGER NOT NULL DEFAULT 1,
  delta_base   INTEGER CHECK (delta_base IS NULL OR delta_base > 0),
  fingerprint  TEXT,
  der          BLOB,  -- last: see below
  UNIQUE (issuer_id, crl_number)
);
INSERT INTO crls_v6 (id, issuer_id, crl_number, this_update, next_update, entries, der, generation, delta_base)
  SELECT id, issuer_id, crl_number, this_update, next_update, entries, der, generation, delta_base FROM crls;
DROP TABLE crls;
ALTER TABLE crls_v6 RENAME TO crls;
CREATE INDEX crls_generation ON crls (issuer_id, generation, crl_number);
