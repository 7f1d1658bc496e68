// The client end of a TLS handshake: connects, takes the chain the server presents, and runs the
// verifier on it with purpose server and the name connected to (DESIGN.md, "pki probe").
//
// libssl's own verification is off: the verifier's report is the judgement. When a client
// certificate is presented, a TLS 1.3 server judges it only after the client has finished its side
// of the handshake, so its refusal (an alert) arrives on the first read: the probe reads the
// server's first response, within a short wait, before it calls the connection accepted.
//
// What the probe reports of a client certificate is what it saw on the wire: whether the server
// asked for one, whether one was sent, and the server's answer at the TLS layer (an alert, or a
// completed handshake with no alert after it). A server may complete the handshake and refuse the
// certificate at the application layer instead (nginx answers HTTP 400): with http_get the probe
// sends a request and reports the status, and 400 or above counts as a refusal.
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
  std::string host;  // to connect to
  std::uint16_t port = 0;
  std::string servername;  // SNI and the name checked; an IP literal is checked as an IP and sent no SNI
  std::chrono::milliseconds timeout{10'000};
  std::optional<std::string> client_cert_file;  // PEM: the certificate, then its chain
  OsslPtr<EVP_PKEY> client_key;
  std::optional<std::string> http_get;  // after the handshake: GET this path (starts with '/')
};

enum class Failure {
  kNone,
  kRefused,  // TCP connection refused or unreachable
  kTimedOut,
  kHandshake,    // the TLS handshake failed (an alert, a protocol error)
  kPeerRefused,  // the server refused us after the handshake (an alert on the first read)
  kHttpRefused,  // the server answered the HTTP request with a status of 400 or above
};

// The server's answer to the client certificate, as far as the wire shows it.
enum class ClientCertVerdict {
  kNotOffered,    // the probe had none to send
  kNotRequested,  // the server did not ask for one
  kNotSent,       // asked for, but none was sent
  kRefused,       // the server sent an alert after receiving it (during or right after the handshake)
  kTlsAccepted,   // the handshake completed and no alert followed: TLS-level acceptance is all that was seen
  kUnknown,       // the connection failed before the server could judge it
};
std::string_view to_string(ClientCertVerdict v);

struct ClientCertReport {
  bool offered = false;    // a certificate and key were given
  bool requested = false;  // the server sent a CertificateRequest
  bool sent = false;       // the probe's Certificate message carried a certificate
  ClientCertVerdict verdict = ClientCertVerdict::kNotOffered;
};

struct HttpResponse {
  std::string request;  // "GET /path HTTP/1.1"
  int status = 0;
  std::string status_line;  // "HTTP/1.1 400 Bad Request"
};

struct ProbeResult {
  Failure failure = Failure::kNone;
  std::string
      failure_message;   // for people: "connection refused", "the server sent alert 'certificate revoked'"
  std::string alert;     // the alert received, if any ("certificate revoked")
  std::string address;   // the address connected to
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  int cipher_bits = 0;   // symmetric key bits
  bool handshake_completed = false;
  ClientCertReport client_certificate;
  std::optional<HttpResponse> http;              // with http_get, when the server answered
  std::vector<cert::CertificatePtr> peer_chain;  // as the server sent it, leaf first
  // The OCSP response the server stapled (RFC 6066 8, asked for in every probe); it is the leaf's
  // first revocation answer in the verification.
  std::optional<Bytes> stapled_ocsp;
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
