-- Online revocation: where a CA's clients find its OCSP responder, issuer certificate and delta
-- CRLs; delta CRLs beside complete ones; delegated OCSP responders.

-- Put in what the CA signs: the OCSP responder and caIssuers URLs (authorityInfoAccess, RFC 5280
-- 4.2.2.1) and the delta CRL URL (freshestCRL, RFC 5280 4.2.1.15, also in the CA's complete CRLs).
ALTER TABLE authorities ADD COLUMN ocsp_url TEXT;
ALTER TABLE authorities ADD COLUMN ca_issuers_url TEXT;
ALTER TABLE authorities ADD COLUMN delta_crl_url TEXT;

-- A delta CRL (RFC 5280 5.2.4) records the number of the complete CRL it updates; NULL for a
-- complete CRL. Complete and delta CRLs share the CA's one sequence of CRL numbers.
ALTER TABLE crls ADD COLUMN delta_base INTEGER CHECK (delta_base IS NULL OR delta_base > 0);
DROP INDEX crls_generation;
CREATE INDEX crls_generation ON crls (issuer_id, generation, delta_base IS NOT NULL, crl_number);

-- A delegated OCSP responder (RFC 6960 4.2.2.2): a short-lived certificate the CA's current key
-- issued (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) and its key, which `pki serve` signs
-- responses with. The newest row of a CA generation is the one in use.
CREATE TABLE ocsp_responders (
  id              INTEGER PRIMARY KEY,
  authority_id    INTEGER NOT NULL REFERENCES authorities(id),
  generation      INTEGER NOT NULL CHECK (generation > 0),
  certificate_id  INTEGER NOT NULL UNIQUE REFERENCES certificates(id),
  key_id          INTEGER NOT NULL UNIQUE REFERENCES keys(id),
  created_at      TEXT NOT NULL
);
CREATE INDEX ocsp_responders_authority ON ocsp_responders (authority_id, generation, id);
