-- pki schema, migration 1: authorities, keys, certificates, revocations, CRLs and the audit log.
-- Times are UTC text, 'YYYY-MM-DDTHH:MM:SSZ', so that they sort and compare as text.
-- Serials are lowercase hex without leading zeros; fingerprints are SHA-256 of the DER, lowercase hex.

CREATE TABLE keys (
  id            INTEGER PRIMARY KEY,
  key_type      TEXT NOT NULL,                 -- ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519
  pkcs8_pem     TEXT NOT NULL,                 -- PKCS#8 PEM; PBES2-encrypted when a passphrase was set
  encrypted     INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  spki_sha256   TEXT NOT NULL UNIQUE,          -- SHA-256 of the DER SubjectPublicKeyInfo
  created_at    TEXT NOT NULL
);

CREATE TABLE authorities (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  parent_id       INTEGER REFERENCES authorities(id),     -- NULL for a root
  key_id          INTEGER NOT NULL REFERENCES keys(id),
  certificate_id  INTEGER REFERENCES certificates(id),    -- set in the same transaction that creates the CA
  crl_url         TEXT,                                   -- CRL distribution point put in the CA's leaves
  created_at      TEXT NOT NULL
);

CREATE TABLE certificates (
  id           INTEGER PRIMARY KEY,
  issuer_id    INTEGER NOT NULL REFERENCES authorities(id),   -- the CA that signed it (a root signs its own)
  serial       TEXT NOT NULL,
  subject      TEXT NOT NULL,                                 -- 'CN=..., O=...' in encoding order
  sans         TEXT NOT NULL,                                 -- JSON array: ["DNS:a.example","IP:192.0.2.1"]
  not_before   TEXT NOT NULL,
  not_after    TEXT NOT NULL,
  profile      TEXT NOT NULL,                                 -- server, client, server-client, intermediate-ca, root-ca
  key_type     TEXT NOT NULL,
  der          BLOB NOT NULL,
  fingerprint  TEXT NOT NULL UNIQUE,
  status       TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
  created_at   TEXT NOT NULL,
  UNIQUE (issuer_id, serial)
);
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_status ON certificates (status, not_after);

-- One row per certificate currently revoked (certificateHold included). Lifting a hold deletes the
-- row; the audit log keeps the history.
CREATE TABLE revocations (
  certificate_id   INTEGER PRIMARY KEY REFERENCES certificates(id),
  issuer_id        INTEGER NOT NULL REFERENCES authorities(id),
  serial           TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (reason IN ('unspecified', 'keyCompromise', 'cACompromise',
                     'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold',
                     'privilegeWithdrawn', 'aACompromise')),
  revoked_at       TEXT NOT NULL,
  invalidity_date  TEXT
);
-- CRLs are built by walking this index: one CA's entries in serial order.
CREATE INDEX revocations_issuer_serial ON revocations (issuer_id, serial);

CREATE TABLE crls (
  id           INTEGER PRIMARY KEY,
  issuer_id    INTEGER NOT NULL REFERENCES authorities(id),
  crl_number   INTEGER NOT NULL CHECK (crl_number > 0),
  this_update  TEXT NOT NULL,
  next_update  TEXT NOT NULL,
  entries      INTEGER NOT NULL,
  der          BLOB NOT NULL,
  UNIQUE (issuer_id, crl_number)
);

-- Append-only: every change (CA created, certificate issued, revoked, hold lifted, CRL published).
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  os_user    TEXT NOT NULL,
  verb       TEXT NOT NULL,
  authority  TEXT,
  serial     TEXT,
  detail     TEXT NOT NULL DEFAULT '{}'     -- JSON
);
CREATE INDEX audit_events_serial ON audit_events (serial);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
