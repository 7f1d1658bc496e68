-- CRLs are written into their row in place (SQLite's incremental blob I/O), so that a CRL of tens
-- of megabytes is never copied in memory to be stored. SQLite refuses that on a table with an
-- index on an expression, so the CRL index names plain columns: the newest complete or delta CRL
-- of a key is found by walking its CRL numbers down (the two kinds alternate, never many apart).
DROP INDEX crls_generation;
CREATE INDEX crls_generation ON crls (issuer_id, generation, crl_number);
