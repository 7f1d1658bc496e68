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

const std::vector<Table>& tables() {
  using enum ColumnType;
  static const std::vector<Table> kTables = {
      {"keys",
       {{"id", kInteger},
        {"key_type", kText},
        {"pkcs8_pem", kText},
        {"encrypted", kInteger},
        {"spki_sha256", kText},
        {"created_at", kText},
        {"pkcs8_sha256", kText}},
       "id",
       true},
      {"profile_versions",
       {{"name", kText}, {"version", kInteger}, {"document", kText}, {"created_at", kText}},
       "name, version"},
      {"profiles", {{"name", kText}, {"version", kInteger}}, "name"},
      {"authorities",
       {{"id", kInteger},
        {"name", kText},
        {"kind", kText},
        {"parent_id", kInteger},
        {"key_id", kInteger},
        {"certificate_id", kInteger},
        {"crl_url", kText},
        {"pending_csr", kBytes},
        {"crl_number_floor", kInteger},
        {"created_at", kText},
        {"ocsp_url", kText},
        {"ca_issuers_url", kText},
        {"delta_crl_url", kText}},
       "id",
       true},
      {"certificates",
       {{"id", kInteger},
        {"issuer_id", kInteger},
        {"generation", kInteger},
        {"serial", kText},
        {"subject", kText},
        {"sans", kText},
        {"not_before", kText},
        {"not_after", kText},
        {"profile", kText},
        {"key_type", kText},
        {"der", kBytes},
        {"fingerprint", kText},
        {"status", kText},
        {"origin", kText},
        {"renews", kInteger},
        {"created_at", kText},
        {"profile_version", kInteger}},
       "id",
       true},
      {"authority_keys",
       {{"authority_id", kInteger},
        {"generation", kInteger},
        {"key_id", kInteger},
        {"certificate_id", kInteger},
        {"created_at", kText}},
       "authority_id, generation"},
      {"revocations",
       {{"certificate_id", kInteger},
        {"issuer_id", kInteger},
        {"serial", kText},
        {"reason", kText},
        {"revoked_at", kText},
        {"invalidity_date", kText},
        {"generation", kInteger}},
       "certificate_id"},
      {"crls",
       {{"id", kInteger},
        {"issuer_id", kInteger},
        {"crl_number", kInteger},
        {"this_update", kText},
        {"next_update", kText},
        {"entries", kInteger},
        {"generation", kInteger},
        {"delta_base", kInteger},
        {"fingerprint", kText},
        {"der", kBytes}},
       "id",
       true},
      {"ocsp_responders",
       {{"id", kInteger},
        {"authority_id", kInteger},
        {"generation", kInteger},
        {"certificate_id", kInteger},
        {"key_id", kInteger},
        {"created_at", kText}},
       "id",
       true},
      {"audit_events",
       {{"id", kInteger},
        {"at", kText},
        {"os_user", kText},
        {"verb", kText},
        {"authority", kText},
        {"serial", kText},
        {"detail", kText},
        {"prev_hash", kBytes},
        {"hash", kBytes}},
       "id",
       true},
      {"audit_chain",
       {{"id", kInteger}, {"store_id", kBytes}, {"head_id", kInteger}, {"head_hash", kBytes}},
       "id",
       true},
  };
  return kTables;
}

namespace {

// One value into a table's digest: its type, then its bytes (framed).
void hash_value(FramedHash& h, const Value& v) {
  static constexpr std::string_view kTag[] = {"n", "i", "t", "b"};
  h.piece(kTag[v.index()]);
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    const std::string text = std::to_string(*i);
    h.piece(std::string_view(text));
  } else if (const auto* t = std::get_if<std::string>(&v)) {
    h.piece(std::string_view(*t));
  } else if (const auto* b = std::get_if<Bytes>(&v)) {
    h.piece(BytesView(*b));
  }
}

// Each table's rows and digest, read from `store`; `each` also sees every row.
Result<std::vector<std::pair<std::int64_t, Bytes>>> read_all(
    Store& store, const std::function<Result<void>(const Table&, const RowValues&)>& each) {
  std::vector<std::pair<std::int64_t, Bytes>> out;
  for (const Table& t : tables()) {
    FramedHash h;
    std::int64_t n = 0;
    PKI_TRY(store.for_each_row(t, [&](const RowValues& row) -> Result<void> {
      if (row.size() != t.columns.size())
        return fail(ErrorCode::kInternal,
                    "a row of " + std::string(t.name) + " has the wrong number of columns");
      for (const Value& v : row) hash_value(h, v);
      ++n;
      return each ? each(t, row) : Result<void>{};
    }));
    out.emplace_back(n, h.done());
  }
  return out;
}

}  // namespace

Result<StoreCopy> copy_store(Store& from, Store& to) {
  PKI_TRY(from.begin_snapshot());
  StoreCopy report;
  auto copied = [&]() -> Result<void> {
    PKI_ASSIGN(auto tx, WriteTransaction::begin(to));
    // Only into an empty store, checked under its write lock (no one can add to it before the
    // load): a copy never merges two stores' CAs, serials and audit chains.
    for (const Table& t : tables()) {
      if (t.name != "keys" && t.name != "authorities" && t.name != "certificates" && t.name != "audit_events")
        continue;
      PKI_TRY(to.for_each_row(t, [](const RowValues&) -> Result<void> {
        return fail(ErrorCode::kRefused,
                    "the destination already holds a store (CAs, keys, certificates or audit rows): pki db "
                    "copy fills only a new, empty one");
      }));
    }
    PKI_TRY(to.begin_load());
    PKI_ASSIGN(const auto source,
               read_all(from, [&](const Table& t, const RowValues& row) { return to.insert_row(t, row); }));
    PKI_TRY(to.end_load());
    // Read back before the commit: the same rows, value for value, and an audit chain that holds,
    // or nothing is kept.
    PKI_ASSIGN(const auto back, read_all(to, nullptr));
    FramedHash whole;
    for (std::size_t i = 0; i < tables().size(); ++i) {
      const std::string name(tables()[i].name);
      if (back[i] != source[i])
        return fail(ErrorCode::kStore, "the copy's table " + name +
                                           " reads back differently from the source's (" +
                                           std::to_string(back[i].first) + " rows, " +
                                           std::to_string(source[i].first) + " copied)");
      report.rows.emplace_back(name, source[i].first);
      if (name == "certificates") report.certificates = source[i].first;
      whole.piece(std::string_view(name)).piece(BytesView(source[i].second));
    }
    report.digest = whole.done();
    PKI_ASSIGN(const AuditCheck audit, verify_audit_chain(to));
    if (!audit.holds)
      return fail(ErrorCode::kStore, "the copy's audit chain does not hold: " + audit.problem);
    return tx.commit();
  }();
  from.end_snapshot();
  PKI_TRY(copied);
  return report;
}

Result<std::vector<CertificateRecord>> Store::list_certificates(const CertificateFilter& filter) {
  std::vector<CertificateRecord> out;
  PKI_TRY(for_each_certificate(filter, [&](const CertificateRecord& c) -> Result<void> {
    out.push_back(c);
    return {};
  }));
  return out;
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
