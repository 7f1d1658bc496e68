// The client end of a TLS handshake: connects, takes the chain the server presents, and runs the
// verifier on it with purpose server and the name connected to (DESIGN.md, "pki probe").
//
// libssl's own verification is off: the verifier's report is the judgement. When a client
// certificate is presented, a TLS 1.3 server judges it only after the client has finished its side
// of the handshake, so its refusal (an alert) arrives on the first read: the probe reads the
// server's first response, within a short wait, before it calls the connection accepted.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/verify/verifier.h"

namespace pki::probe {

// How long to wait after the handshake for a refusal of our client certificate. A TLS 1.3 server
// sends it one round trip after our Finished: milliseconds on loopback or a LAN; a second covers
// slow links without making every probe slow. Servers that send nothing (HTTP waits for a request)
// cost this wait once.
inline constexpr std::chrono::milliseconds kRefusalWait{1000};

struct ProbeOptions {
  std::string host;        // to connect to
  std::uint16_t port = 0;
  std::string servername;  // SNI and the name checked; an IP literal is checked as an IP and sent no SNI
  std::chrono::milliseconds timeout{10'000};
  std::optional<std::string> client_cert_file;  // PEM: the certificate, then its chain
  OsslPtr<EVP_PKEY> client_key;
};

enum class Failure {
  kNone,
  kRefused,        // TCP connection refused or unreachable
  kTimedOut,
  kHandshake,      // the TLS handshake failed (an alert, a protocol error)
  kPeerRefused,    // the server refused us after the handshake (an alert on the first read)
};

struct ProbeResult {
  Failure failure = Failure::kNone;
  std::string failure_message;   // for people: "connection refused", "the server sent alert 'certificate revoked'"
  std::string alert;             // the alert received, if any ("certificate revoked")
  std::string address;           // the address connected to
  std::string protocol;          // "TLSv1.3"
  std::string cipher;            // "TLS_AES_256_GCM_SHA384"
  int cipher_bits = 0;           // symmetric key bits
  bool client_certificate_sent = false;
  std::vector<cert::CertificatePtr> peer_chain;  // as the server sent it, leaf first
  std::optional<verify::VerifyResult> verification;
};

// Connects and verifies. `anchors`, `intermediates` and `crls` feed the verifier alongside the
// server's chain; `options.at` and the host name are set from the probe. The error arm means the
// probe could not start (bad options, an unusable client certificate); connection failures are
// results.
Result<ProbeResult> run(const ProbeOptions& probe, const verify::CertificateSet& anchors,
                        const verify::CertificateSet& intermediates, const verify::CrlSet& crls,
                        verify::VerifyOptions options);

// "host:port", "[v6]:port": kBadInput when malformed.
Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text);

}  // namespace pki::probe
