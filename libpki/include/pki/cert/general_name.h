// GeneralName (RFC 5280 4.2.1.6): the names in subjectAltName, name constraints, distribution points.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki::cert {

enum class GeneralNameType {
  kOtherName = 0,
  kEmail = 1,  // rfc822Name
  kDns = 2,
  kX400 = 3,
  kDirectory = 4,
  kEdiParty = 5,
  kUri = 6,
  kIp = 7,
  kRegisteredId = 8,
};

struct GeneralName {
  GeneralNameType type = GeneralNameType::kDns;
  // kEmail, kDns, kUri: the IA5String as encoded; kRegisteredId: the dotted OID;
  // kDirectory: the name formatted for people.
  std::string text;
  // kIp: 4 or 16 address octets (8 or 32 with a mask in name constraints); kDirectory: the DER Name;
  // kRegisteredId: the OID's content octets; kOtherName, kX400, kEdiParty: the DER of the whole
  // GeneralName.
  Bytes bytes;

  bool operator==(const GeneralName&) const = default;
};

// "DNS:example.com", "IP:192.0.2.1", "EMAIL:a@example.com", "URI:https://x", "DirName:CN=x", ...
std::string to_string(const GeneralName& name);
// An IP address (4 or 16 octets) as text; with 8 or 32 octets, "address/prefix".
std::string ip_to_string(BytesView bytes);

enum class Wildcard { kAllow, kRefuse };

// Parses a SAN as users write it: DNS:name, IP:address, EMAIL:mailbox, URI:uri (type names are
// case-insensitive). Values are checked: DNS names are LDH labels of at most 63 octets, 253 in all,
// in A-label form (lowercased), with a wildcard only as the whole leftmost label; IPs are IPv4
// dotted quads or IPv6; mailboxes are local@domain; URIs have a scheme and a scheme-specific part.
Result<GeneralName> parse_san(std::string_view text, Wildcard wildcard = Wildcard::kAllow);
// A DNS name (no wildcard) in the same form; `what` names it in messages.
Result<std::string> parse_dns_name(std::string_view text, std::string_view what, Wildcard wildcard);
Result<Bytes> parse_ip(std::string_view text);

// DER GeneralName.
Bytes encode(const GeneralName& name);

// From OpenSSL's GENERAL_NAME; `constraint` allows the address/mask IP form of name constraints.
Result<GeneralName> from_openssl(const GENERAL_NAME& gn);
Result<std::vector<GeneralName>> from_openssl(const GENERAL_NAMES& names);

}  // namespace pki::cert
