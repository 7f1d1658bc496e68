-- Issuance profiles as data. Each change of a profile is a new row of `profile_versions` (its
-- complete JSON document, as pki writes it: profiles/profile.h, to_json); `profiles` names the
-- current version of each profile in use. A removed profile keeps its versions, so that what a
-- certificate was issued under can still be read, and a profile added again under the same name
-- continues its numbering. Certificates record the profile's name and version.
-- The stock profiles (server, client, server-client, intermediate-ca, root-ca) are version 1,
-- each document exactly as pki writes it (a unit test holds these to profiles::stock()). Every field
-- is present: a later pki that changes a default does not change what these profiles mean.
CREATE TABLE profile_versions (
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  document    TEXT NOT NULL,              -- JSON object
  created_at  TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TRIGGER profile_versions_no_update BEFORE UPDATE ON profile_versions
BEGIN SELECT RAISE(ABORT, 'profile versions are kept as written'); END;
CREATE TRIGGER profile_versions_no_delete BEFORE DELETE ON profile_versions
BEGIN SELECT RAISE(ABORT, 'profile versions are kept'); END;

CREATE TABLE profiles (
  name     TEXT PRIMARY KEY,
  version  INTEGER NOT NULL,
  FOREIGN KEY (name, version) REFERENCES profile_versions (name, version)
);

ALTER TABLE certificates ADD COLUMN profile_version INTEGER;  -- NULL: issued before profiles were data

INSERT INTO profile_versions (name, version, document, created_at) VALUES
  ('client', 1, '{"name":"client","description":"TLS client (clientAuth)","validity":{"default":"365d","max":"825d"},"key_usage":["digitalSignature","keyEncipherment"],"extended_key_usage":["clientAuth"],"cn_to_san":false,"name_required":false,"san_types":["DNS","IP","EMAIL","URI"],"allowed_domains":[],"key_types":["ec-p256","ec-p384","rsa-2048","rsa-3072","rsa-4096","ed25519"],"subject":{"required":[],"forbidden":[]},"csr_subject":"keep","cabf":false}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  ('intermediate-ca', 1, '{"name":"intermediate-ca","description":"subordinate CA","validity":{"default":"1825d","max":"5475d"}}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  ('root-ca', 1, '{"name":"root-ca","description":"self-signed root CA","validity":{"default":"3650d","max":"9125d"}}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  ('server', 1, '{"name":"server","description":"TLS server (serverAuth)","validity":{"default":"90d","max":"398d"},"key_usage":["digitalSignature","keyEncipherment"],"extended_key_usage":["serverAuth"],"cn_to_san":true,"name_required":true,"san_types":["DNS","IP","EMAIL","URI"],"allowed_domains":[],"key_types":["ec-p256","ec-p384","rsa-2048","rsa-3072","rsa-4096","ed25519"],"subject":{"required":[],"forbidden":[]},"csr_subject":"keep","cabf":true}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  ('server-client', 1, '{"name":"server-client","description":"TLS server and client (serverAuth, clientAuth)","validity":{"default":"90d","max":"398d"},"key_usage":["digitalSignature","keyEncipherment"],"extended_key_usage":["serverAuth","clientAuth"],"cn_to_san":true,"name_required":true,"san_types":["DNS","IP","EMAIL","URI"],"allowed_domains":[],"key_types":["ec-p256","ec-p384","rsa-2048","rsa-3072","rsa-4096","ed25519"],"subject":{"required":[],"forbidden":[]},"csr_subject":"keep","cabf":true}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO profiles (name, version) SELECT name, 1 FROM profile_versions;
