#include "pki/store/store.h"

#include <openssl/evp.h>

#include "pki/core/ossl.h"

namespace pki::store {

namespace {

// SHA-256 of length-framed pieces: each piece is preceded by a presence byte and its length as 8
// bytes, big-endian, so that no two different sequences of pieces give the same input.
class FramedHash {
 public:
  FramedHash() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  FramedHash& piece(std::optional<std::string_view> bytes) {
    std::uint8_t frame[9] = {static_cast<std::uint8_t>(bytes ? 1 : 0)};
    const std::uint64_t n = bytes ? bytes->size() : 0;
    for (int i = 0; i < 8; ++i) frame[1 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
    EVP_DigestUpdate(ctx_.get(), frame, sizeof frame);
    if (bytes) EVP_DigestUpdate(ctx_.get(), bytes->data(), bytes->size());
    return *this;
  }
  FramedHash& piece(BytesView bytes) {
    return piece(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  Bytes done() {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &n);
    out.resize(n);
    return out;
  }

 private:
  OsslPtr<EVP_MD_CTX> ctx_;
};

}  // namespace

Bytes audit_row_hash(BytesView prev, const AuditRow& row) {
  const std::string id = std::to_string(row.id);
  return FramedHash()
      .piece(std::string_view("pki audit row v1"))
      .piece(prev)
      .piece(std::string_view(id))
      .piece(std::string_view(row.at))
      .piece(std::string_view(row.os_user))
      .piece(std::string_view(row.verb))
      .piece(row.authority ? std::optional<std::string_view>(*row.authority) : std::nullopt)
      .piece(row.serial ? std::optional<std::string_view>(*row.serial) : std::nullopt)
      .piece(std::string_view(row.detail))
      .done();
}

Bytes audit_chain_start(BytesView store_id) {
  return FramedHash().piece(std::string_view("pki audit chain v1")).piece(store_id).done();
}

Result<AuditCheck> verify_audit_chain(Store& store, std::optional<Bytes> expected_head) {
  // The head is read before the rows: rows another process appends meanwhile come after it and
  // chain to it, so they are checked like the others and never mistaken for tampering.
  PKI_ASSIGN(const AuditChainHead head, store.audit_chain_head());
  AuditCheck check;
  Bytes prev = audit_chain_start(head.store_id);
  std::int64_t last_id = 0;
  bool expected_seen = false;
  auto broken = [&](std::int64_t row, std::string problem) {
    check.holds = false;
    check.first_bad_row = row;
    check.problem = std::move(problem);
  };
  PKI_TRY(store.for_each_audit_row({}, [&](const AuditRow& row) -> Result<void> {
    if (!check.holds) return {};
    ++check.rows;
    const std::string at = "row " + std::to_string(row.id);
    if (row.hash.empty() || row.prev_hash.empty()) {
      broken(row.id, at + " has no hash: it was inserted outside pki");
    } else if (audit_row_hash(row.prev_hash, row) != row.hash) {
      broken(row.id, at + " was edited: its content no longer matches its hash");
    } else if (row.prev_hash != prev) {
      if (row.id != last_id + 1)
        broken(last_id + 1,
               "row " + std::to_string(last_id + 1) +
                   (row.id - last_id > 2 ? " to " + std::to_string(row.id - 1) + " were" : " was") +
                   " deleted: " + at + " does not chain to the row before it");
      else
        broken(row.id,
               at + " does not chain to the row before it: it was inserted, or the row before it replaced");
    } else if (row.id == head.head_id && row.hash != head.head_hash) {
      broken(row.id,
             at + " is not the last row pki recorded (audit_chain): the row, or that record, was edited");
    }
    if (expected_head && row.hash == *expected_head) expected_seen = true;
    prev = row.hash;
    last_id = row.id;
    return {};
  }));
  check.head_id = last_id;
  check.head_hash = prev;
  if (check.holds && last_id < head.head_id)
    broken(last_id + 1, "the rows after row " + std::to_string(last_id) +
                            " were deleted (pki's last row is " + std::to_string(head.head_id) + ")");
  if (check.holds && expected_head && !expected_seen) {
    check.holds = false;
    check.problem = "the head recorded earlier (" + to_hex(*expected_head) +
                    ") is not in the chain: the log was rewritten";
  }
  return check;
}

Result<WriteTransaction> WriteTransaction::begin(Store& store) {
  PKI_TRY(store.begin_write());
  return WriteTransaction(store);
}

WriteTransaction::~WriteTransaction() {
  if (store_) store_->rollback();
}

Result<void> WriteTransaction::commit() {
  Store* s = store_;
  store_ = nullptr;
  auto r = s->commit();
  if (!r) s->rollback();
  return r;
}

}  // namespace pki::store
