// An OCSP responder (RFC 6960, with the lightweight profile of RFC 5019) over the store.
//
// Each request is answered from the store as it is now: a revocation another process commits is
// in the next answer. A signed answer to a single request without a nonce is kept (by its CertID)
// and given again until the certificate's status changes or half of its validity has passed, so a
// busy responder signs once per certificate per half-period. nextUpdate never passes the signer
// certificate's notAfter. Thread-safe: a server's threads share
// one Responder.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "pki/cert/builder.h"
#include "pki/cert/certificate.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/store/store.h"

namespace pki::ocsp {

// Who signs the answers for one CA key: the CA itself, or a delegated responder (RFC 6960
// 4.2.2.2) whose certificate that key issued; the certificate is then sent with each answer.
struct SigningKey {
  cert::CertificatePtr certificate;
  std::shared_ptr<const cert::Signer> signer;
  bool delegated = false;
};

// One key generation of a CA the responder answers for.
struct ServedKey {
  store::AuthorityRecord authority;
  int generation = 1;
  cert::CertificatePtr ca_certificate;  // the certificate of that key: CertIDs name its subject and key
  SigningKey signing;
};

// How long an answer is current (nextUpdate - thisUpdate). An hour by default: a revocation
// reaches a client that caches answers within that time.
inline constexpr std::chrono::seconds kDefaultValidity = std::chrono::hours{1};
// Requests listing more certificates than this are refused as malformed.
inline constexpr std::size_t kMaxRequestsPerMessage = 32;
// Signed answers kept (good and revoked ones); past this many the cache starts again empty.
inline constexpr std::size_t kMaxCached = 200000;

enum class Outcome { kAnswered, kMalformed, kUnauthorized, kInternalError };

struct Answer {
  Bytes der;  // an OCSPResponse (RFC 6960 4.2.1), whatever the outcome
  Outcome outcome = Outcome::kAnswered;
  // For an answer to one certificate: its thisUpdate and nextUpdate (HTTP caching, RFC 5019 6.2).
  std::optional<TimePoint> this_update, next_update;
  bool from_cache = false;
  bool cacheable = false;  // one certificate, no nonce: the same answer is given to everyone
  std::string status;      // "good", "revoked", "unknown" for one certificate; empty otherwise
  std::string error;       // kInternalError: why, for the operator's log (never sent)
};

struct Statistics {
  std::uint64_t answered = 0, signed_now = 0, from_cache = 0, malformed = 0, unauthorized = 0;
};

class Responder {
 public:
  Responder(store::Store& store, std::mutex& store_mutex, const Clock& clock, std::vector<ServedKey> keys,
            std::chrono::seconds validity = kDefaultValidity);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Answers a DER OCSPRequest. Never fails: malformed requests get malformedRequest, CertIDs of a
  // CA not served unauthorized (RFC 5019 2.2.3), and a store that cannot be read internalError.
  Answer respond(BytesView request_der);

  // A new delegated responder for one served key (after renewal); cached answers it signed are
  // dropped.
  void replace_signing(std::int64_t authority_id, int generation, SigningKey signing);
  Statistics statistics() const;
  const std::vector<ServedKey>& served() const { return keys_; }

 private:
  struct Hashes;
  struct Cached {
    Bytes der;
    std::string state;  // the status the answer gives, to see a change
    TimePoint this_update, next_update;
    std::size_t key_index = 0;
  };
  Answer sign_answer(OCSP_REQUEST& request, TimePoint now);

  store::Store& store_;
  std::mutex& store_mutex_;
  const Clock& clock_;
  std::vector<ServedKey> keys_;
  std::vector<std::unique_ptr<Hashes>> hashes_;  // per served key: name and key hashes per digest
  std::chrono::seconds validity_;
  mutable std::mutex mutex_;  // guards cache_, keys_[i].signing and stats_
  std::unordered_map<std::string, Cached> cache_;
  Statistics stats_;
};

// A DER OCSPResponse with only a status (malformedRequest, internalError, tryLater, unauthorized).
Bytes error_response(int status);

}  // namespace pki::ocsp
