-- pki schema, migration 3: an organisation's existing PKI. CAs signed elsewhere (pending until
-- their certificate is installed), the outside issuers above them, CAs imported with what they
-- issued (certificates whose file was not kept are recorded by serial), renewal links, and key
-- generations (CA rollover).
--
-- authorities and certificates are rebuilt (SQLite cannot relax a NOT NULL in place), following
-- SQLite's documented procedure: pki runs this migration with foreign keys off and checks them
-- (PRAGMA foreign_key_check) before it commits.

-- kind 'local': a CA whose key pki holds. kind 'outside': an issuer above a CA, known only by its
-- certificate (a corporate or offline root): a trust anchor or intermediate, never a signer.
-- A local CA without a certificate is pending: its key and its request (pending_csr) wait for the
-- outside CA's answer (`pki ca install`).
-- crl_number_floor: the highest CRL number the CA used before pki (an imported CA): pki numbers
-- its CRLs above it.
CREATE TABLE authorities_v3 (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  kind              TEXT NOT NULL DEFAULT 'local' CHECK (kind IN ('local', 'outside')),
  parent_id         INTEGER REFERENCES authorities(id),   -- NULL for a root (or an outside issuer's top)
  key_id            INTEGER REFERENCES keys(id),          -- the current key; NULL for an outside issuer
  certificate_id    INTEGER REFERENCES certificates(id),  -- the current certificate; NULL while pending
  crl_url           TEXT,
  pending_csr       BLOB,
  crl_number_floor  INTEGER NOT NULL DEFAULT 0 CHECK (crl_number_floor >= 0),
  created_at        TEXT NOT NULL,
  CHECK ((kind = 'outside') = (key_id IS NULL)),
  CHECK (pending_csr IS NULL OR certificate_id IS NULL)
);
INSERT INTO authorities_v3 (id, name, parent_id, key_id, certificate_id, crl_url, created_at)
  SELECT id, name, parent_id, key_id, certificate_id, crl_url, created_at FROM authorities;
DROP TABLE authorities;
ALTER TABLE authorities_v3 RENAME TO authorities;

-- generation: which of the issuer's keys signed it (authority_keys). der and fingerprint are NULL
-- for a certificate imported from an openssl ca index whose file was not there: it is known by
-- serial, subject, expiry and revocation, enough to keep it on the CRL; not_before is then unknown.
-- renews: the certificate this one replaced (`pki renew`).
CREATE TABLE certificates_v3 (
  id           INTEGER PRIMARY KEY,
  issuer_id    INTEGER NOT NULL REFERENCES authorities(id),
  generation   INTEGER NOT NULL DEFAULT 1 CHECK (generation > 0),
  serial       TEXT NOT NULL,
  subject      TEXT NOT NULL,
  sans         TEXT NOT NULL,
  not_before   TEXT,
  not_after    TEXT NOT NULL,
  profile      TEXT NOT NULL,     -- server, client, server-client, intermediate-ca, root-ca, outside-ca, imported
  key_type     TEXT NOT NULL,
  der          BLOB,
  fingerprint  TEXT UNIQUE,
  status       TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
  origin       TEXT NOT NULL DEFAULT 'issued' CHECK (origin IN ('issued', 'imported', 'outside')),
  renews       INTEGER REFERENCES certificates(id),
  created_at   TEXT NOT NULL,
  UNIQUE (issuer_id, serial),
  CHECK ((der IS NULL) = (fingerprint IS NULL)),
  CHECK (der IS NOT NULL OR origin = 'imported'),
  CHECK (not_before IS NOT NULL OR der IS NULL)
);
INSERT INTO certificates_v3 (id, issuer_id, serial, subject, sans, not_before, not_after, profile, key_type,
                             der, fingerprint, status, created_at)
  SELECT id, issuer_id, serial, subject, sans, not_before, not_after, profile, key_type, der, fingerprint,
         status, created_at FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_v3 RENAME TO certificates;
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_status ON certificates (status, not_after);
CREATE INDEX certificates_renews ON certificates (renews) WHERE renews IS NOT NULL;

-- Every key a local CA has had, oldest first, with the certificate made for it. The authorities
-- row names the current one. A CA keeps its name and subject across generations; each key signs
-- the CRLs for what it issued.
CREATE TABLE authority_keys (
  authority_id    INTEGER NOT NULL REFERENCES authorities(id),
  generation      INTEGER NOT NULL CHECK (generation > 0),
  key_id          INTEGER NOT NULL REFERENCES keys(id),
  certificate_id  INTEGER NOT NULL UNIQUE REFERENCES certificates(id),
  created_at      TEXT NOT NULL,
  PRIMARY KEY (authority_id, generation)
);
INSERT INTO authority_keys (authority_id, generation, key_id, certificate_id, created_at)
  SELECT id, 1, key_id, certificate_id, created_at FROM authorities WHERE certificate_id IS NOT NULL;

-- A revocation and a CRL belong to one key generation of their CA. CRL numbers stay one sequence
-- per CA across its keys (UNIQUE (issuer_id, crl_number)): each key's CRLs still carry strictly
-- increasing numbers, as RFC 5280 5.2.3 asks within one scope.
ALTER TABLE revocations ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
DROP INDEX revocations_issuer_serial;
CREATE INDEX revocations_issuer_serial ON revocations (issuer_id, generation, serial);
ALTER TABLE crls ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
CREATE INDEX crls_generation ON crls (issuer_id, generation, crl_number);
