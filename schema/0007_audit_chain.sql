-- A tamper-evident audit log: each row carries `hash`, the SHA-256 of its content and of the row
-- before it (`prev_hash`), so that a row edited, deleted or inserted outside pki breaks the chain
-- (`pki audit verify`). The chain starts from `audit_chain.store_id`, random for each store, and
-- `audit_chain` records the last row pki wrote, so that rows deleted from the end are seen too.
-- The hashes are computed by pki (store.h, audit_row_hash): once this migration has run, pki
-- hashes the rows already there, oldest first, in the same transaction.
ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;

CREATE TABLE audit_chain (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  store_id  BLOB NOT NULL CHECK (length(store_id) = 32),
  head_id   INTEGER NOT NULL DEFAULT 0,  -- the last row pki wrote; 0 before the first
  head_hash BLOB                         -- its hash
);
INSERT INTO audit_chain (id, store_id) VALUES (1, randomblob(32));
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is kept'); END;
-- The anchor only moves forward, and the store's identifier never changes.
CREATE TRIGGER audit_chain_forward BEFORE UPDATE ON audit_chain
WHEN NEW.head_id < OLD.head_id OR NEW.store_id IS NOT OLD.store_id OR NEW.id IS NOT OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward'); END;

-- Rows stay append-only; a row without its hash (one written before this migration) is given it
-- once.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.hash IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.os_user IS NOT OLD.os_user
  OR NEW.verb IS NOT OLD.verb OR NEW.authority IS NOT OLD.authority OR NEW.serial IS NOT OLD.serial
  OR NEW.detail IS NOT OLD.detail
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
