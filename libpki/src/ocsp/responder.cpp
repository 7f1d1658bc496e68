#include "pki/ocsp/responder.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <array>

#include "pki/cert/crl_reason.h"
#include "pki/core/ossl.h"

namespace pki::ocsp {

namespace {

// The digests a CertID may name (RFC 6960 4.1.1 uses SHA-1; RFC 5019 allows SHA-256 and up).
const std::array<int, 4> kDigests = {NID_sha1, NID_sha256, NID_sha384, NID_sha512};

Bytes digest(const EVP_MD* md, BytesView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
  out.resize(len);
  return out;
}

Bytes to_der(const OCSP_RESPONSE& r) {
  unsigned char* buf = nullptr;
  const int len = i2d_OCSP_RESPONSE(const_cast<OCSP_RESPONSE*>(&r), &buf);
  if (len <= 0) return {};
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

OsslPtr<ASN1_STRING> generalized_time(TimePoint t) {
  return OsslPtr<ASN1_STRING>(ASN1_GENERALIZEDTIME_set(
      nullptr, std::chrono::system_clock::to_time_t(
                   std::chrono::time_point_cast<std::chrono::system_clock::duration>(t))));
}

// The status of one certificate, from the store.
struct Status {
  int code = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  TimePoint revoked_at{};
  std::string state() const {
    if (code == V_OCSP_CERTSTATUS_GOOD) return "good";
    if (code == V_OCSP_CERTSTATUS_UNKNOWN) return "unknown";
    return "revoked:" + std::to_string(reason) + ":" + std::to_string(revoked_at.time_since_epoch().count());
  }
  std::string name() const {
    return code == V_OCSP_CERTSTATUS_GOOD      ? "good"
           : code == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                                               : "unknown";
  }
};

}  // namespace

struct Responder::Hashes {
  // For each of kDigests: the hash of the CA's subject name and of its public key bits.
  std::array<Bytes, kDigests.size()> name, key;
};

Bytes error_response(int status) {
  OsslPtr<OCSP_RESPONSE> r(OCSP_response_create(status, nullptr));
  return r ? to_der(*r) : Bytes{};
}

Responder::Responder(store::Store& store, std::mutex& store_mutex, const Clock& clock,
                     std::vector<ServedKey> keys, std::chrono::seconds validity)
    : store_(store), store_mutex_(store_mutex), clock_(clock), keys_(std::move(keys)), validity_(validity) {
  for (const auto& k : keys_) {
    auto h = std::make_unique<Hashes>();
    X509* x = const_cast<X509*>(&k.ca_certificate->x509());
    unsigned char* name_der = nullptr;
    const int name_len = i2d_X509_NAME(X509_get_subject_name(x), &name_der);
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(x);
    for (std::size_t i = 0; i < kDigests.size(); ++i) {
      const EVP_MD* md = EVP_get_digestbynid(kDigests[i]);
      if (name_len > 0) h->name[i] = digest(md, BytesView(name_der, static_cast<std::size_t>(name_len)));
      if (bits)
        h->key[i] = digest(
            md, BytesView(ASN1_STRING_get0_data(bits), static_cast<std::size_t>(ASN1_STRING_length(bits))));
    }
    OPENSSL_free(name_der);
    hashes_.push_back(std::move(h));
  }
}

Responder::~Responder() = default;

Answer Responder::respond(BytesView request_der) {
  auto refuse = [&](Outcome outcome, int status) {
    std::lock_guard lock(mutex_);
    (outcome == Outcome::kUnauthorized ? stats_.unauthorized : stats_.malformed)++;
    Answer a;
    a.der = error_response(status);
    a.outcome = outcome;
    return a;
  };
  const unsigned char* p = request_der.data();
  OsslPtr<OCSP_REQUEST> req(
      request_der.empty() ? nullptr : d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
  ERR_clear_error();
  if (!req || p != request_der.data() + request_der.size())
    return refuse(Outcome::kMalformed, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  const int n = OCSP_request_onereq_count(req.get());
  if (n < 1 || static_cast<std::size_t>(n) > kMaxRequestsPerMessage)
    return refuse(Outcome::kMalformed, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  const TimePoint now = clock_.now();
  return sign_answer(*req, now);
}

Answer Responder::sign_answer(OCSP_REQUEST& req, TimePoint now) {
  const int n = OCSP_request_onereq_count(&req);
  const bool nonce = OCSP_REQUEST_get_ext_by_NID(&req, NID_id_pkix_OCSP_Nonce, -1) >= 0;

  // Which served key each CertID names, and the status of its serial.
  std::vector<int> served(static_cast<std::size_t>(n), -1);
  std::vector<Status> status(static_cast<std::size_t>(n));
  int signing_index = -1;
  for (int i = 0; i < n; ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(&req, i));
    ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
    ASN1_OBJECT* alg = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (!id || OCSP_id_get0_info(&name_hash, &alg, &key_hash, &serial, id) != 1 || !name_hash || !key_hash ||
        !serial) {
      std::lock_guard lock(mutex_);
      stats_.malformed++;
      return Answer{error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST),
                    Outcome::kMalformed,
                    {},
                    {},
                    false,
                    false,
                    {},
                    {}};
    }
    const int nid = OBJ_obj2nid(alg);
    std::size_t d = 0;
    while (d < kDigests.size() && kDigests[d] != nid) ++d;
    if (d == kDigests.size()) continue;  // a digest pki does not answer for: no served key matches
    const BytesView nh(ASN1_STRING_get0_data(name_hash),
                       static_cast<std::size_t>(ASN1_STRING_length(name_hash)));
    const BytesView kh(ASN1_STRING_get0_data(key_hash),
                       static_cast<std::size_t>(ASN1_STRING_length(key_hash)));
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const auto& h = *hashes_[k];
      if (h.name[d].size() == nh.size() && std::equal(nh.begin(), nh.end(), h.name[d].begin()) &&
          h.key[d].size() == kh.size() && std::equal(kh.begin(), kh.end(), h.key[d].begin())) {
        served[static_cast<std::size_t>(i)] = static_cast<int>(k);
        break;
      }
    }
    const int k = served[static_cast<std::size_t>(i)];
    if (k < 0) continue;
    // One signature covers the whole answer: CertIDs of another served key than the first one's
    // are answered unknown (clients ask one issuer at a time).
    if (signing_index < 0) signing_index = k;
    if (k != signing_index) continue;
    Status& st = status[static_cast<std::size_t>(i)];
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) continue;  // pki never issued one: unknown
    const std::string hex = cert::serial_to_hex(
        BytesView(ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))));
    Result<std::optional<store::SerialStatus>> found;
    {
      std::lock_guard lock(store_mutex_);
      found = store_.serial_status(keys_[static_cast<std::size_t>(k)].authority.id, hex);
    }
    if (!found) {
      std::lock_guard lock(mutex_);
      return Answer{error_response(OCSP_RESPONSE_STATUS_INTERNALERROR),
                    Outcome::kInternalError,
                    {},
                    {},
                    false,
                    false,
                    {},
                    found.error().message};
    }
    // A serial the CA never gave, or gave with another of its keys than the CertID names: unknown
    // (RFC 6960 2.2 allows "revoked" for never-issued serials; pki says what it knows).
    if (!*found || (*found)->generation != keys_[static_cast<std::size_t>(k)].generation) continue;
    if (!(*found)->revocation) {
      st.code = V_OCSP_CERTSTATUS_GOOD;
    } else {
      st.code = V_OCSP_CERTSTATUS_REVOKED;
      st.revoked_at = (*found)->revocation->revoked_at;
      auto reason = cert::parse_crl_reason((*found)->revocation->reason);
      // RFC 5280 5.3.1: unspecified is better left out.
      if (reason && *reason != cert::CrlReason::kUnspecified) st.reason = static_cast<int>(*reason);
    }
  }
  if (signing_index < 0) {
    std::lock_guard lock(mutex_);
    stats_.unauthorized++;
    return Answer{error_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED),
                  Outcome::kUnauthorized,
                  {},
                  {},
                  false,
                  false,
                  {},
                  {}};
  }

  // One certificate without a nonce: the answer signed before, while its status holds and it is
  // fresh enough.
  std::string cache_key;
  if (n == 1 && !nonce) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(&req, 0));
    unsigned char* buf = nullptr;
    const int len = i2d_OCSP_CERTID(id, &buf);
    if (len > 0) cache_key.assign(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
    OPENSSL_free(buf);
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(cache_key);
    if (it != cache_.end() && it->second.state == status[0].state() && now >= it->second.this_update &&
        now < it->second.this_update + validity_ / 2) {
      stats_.answered++;
      stats_.from_cache++;
      return Answer{it->second.der,
                    Outcome::kAnswered,
                    it->second.this_update,
                    it->second.next_update,
                    true,
                    true,
                    status[0].name(),
                    {}};
    }
  }

  SigningKey signing;
  {
    std::lock_guard lock(mutex_);
    signing = keys_[static_cast<std::size_t>(signing_index)].signing;
  }
  const TimePoint this_update = std::chrono::floor<std::chrono::seconds>(now);
  // An answer is not current past its signer's certificate (a short-lived delegated responder).
  const TimePoint next_update = std::min(this_update + validity_, signing.certificate->not_after());
  auto internal = [&] {
    ERR_clear_error();
    std::lock_guard lock(mutex_);
    return Answer{
        error_response(OCSP_RESPONSE_STATUS_INTERNALERROR), Outcome::kInternalError, {}, {}, false, false, {},
        "OpenSSL could not build or sign the answer"};
  };
  OsslPtr<OCSP_BASICRESP> basic(OCSP_BASICRESP_new());
  auto tu = generalized_time(this_update), nu = generalized_time(next_update);
  if (!basic || !tu || !nu) return internal();
  for (int i = 0; i < n; ++i) {
    const Status& st = status[static_cast<std::size_t>(i)];
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(&req, i));
    OsslPtr<ASN1_STRING> revoked_at;
    if (st.code == V_OCSP_CERTSTATUS_REVOKED) {
      revoked_at = generalized_time(st.revoked_at);
      if (!revoked_at) return internal();
    }
    if (!OCSP_basic_add1_status(basic.get(), id, st.code, st.reason, revoked_at.get(), tu.get(), nu.get()))
      return internal();
  }
  if (nonce && OCSP_copy_nonce(basic.get(), &req) != 1) return internal();
  // RFC 5019 2.2.2: responderID byKey. A delegated responder sends its certificate.
  const unsigned long flags = OCSP_RESPID_KEY | (signing.delegated ? 0 : OCSP_NOCERTS);
  if (OCSP_basic_sign(basic.get(), const_cast<X509*>(&signing.certificate->x509()),
                      const_cast<EVP_PKEY*>(&signing.signer->key()), signing.signer->digest(), nullptr,
                      flags) != 1)
    return internal();
  OsslPtr<OCSP_RESPONSE> resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) return internal();
  Answer a;
  a.der = to_der(*resp);
  if (a.der.empty()) return internal();
  if (n == 1) {
    a.this_update = this_update;
    a.next_update = next_update;
    a.status = status[0].name();
  }
  a.cacheable = !cache_key.empty();
  std::lock_guard lock(mutex_);
  stats_.answered++;
  stats_.signed_now++;
  // Unknown answers are not kept (random serials would fill the cache), nor one signed by a
  // responder replaced meanwhile.
  if (!cache_key.empty() && status[0].code != V_OCSP_CERTSTATUS_UNKNOWN &&
      keys_[static_cast<std::size_t>(signing_index)].signing.certificate == signing.certificate) {
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_[cache_key] =
        Cached{a.der, status[0].state(), this_update, next_update, static_cast<std::size_t>(signing_index)};
  }
  return a;
}

void Responder::replace_signing(std::int64_t authority_id, int generation, SigningKey signing) {
  std::lock_guard lock(mutex_);
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k].authority.id != authority_id || keys_[k].generation != generation) continue;
    keys_[k].signing = signing;
    for (auto it = cache_.begin(); it != cache_.end();)
      it = it->second.key_index == k ? cache_.erase(it) : std::next(it);
  }
}

Statistics Responder::statistics() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace pki::ocsp
