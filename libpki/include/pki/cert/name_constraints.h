// Name constraints matching (RFC 5280 4.2.1.10), shared by issuance (a CA refuses names outside its
// chain's constraints) and verification (RFC 5280 6.1.3 (b) and (c)).
//
// Constraints are checked CA by CA rather than by intersecting subtrees: a name is acceptable when,
// for every constraining CA, it lies within one of that CA's permitted subtrees of its type (if it
// has any of that type) and within none of its excluded subtrees. That is the RFC's
// permitted_subtrees intersection and excluded_subtrees union, without computing them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/general_name.h"

namespace pki::cert {

// Whether `name` lies within the subtree rooted at `base`. Both must have the same type.
// DNS: base "example.com" holds example.com and every name below it ("" holds all).
// rfc822Name: a mailbox, a host (every mailbox there) or ".domain" (mailboxes below the domain).
// URI: the same host rules, applied to the URI's host; a URI without a host is in no subtree.
// IP: address and mask. directoryName: the base's RDNs are a prefix of the name's.
bool within_subtree(const GeneralName& name, const GeneralName& base);

// The names a certificate presents to name constraints: its subjectAltName entries, its subject
// as a directoryName when non-empty, and each emailAddress attribute of the subject as an
// rfc822Name (RFC 5280 4.2.1.10). (Self-issued intermediates are not checked at all, 6.1.3 (b).)
// Beyond RFC 5280, as OpenSSL does (NAME_CONSTRAINTS_check_CN): when there is no DNS name in the
// subjectAltName, a CN that looks like a host name is held to DNS constraints too, so that a
// constrained CA cannot name a host through the CN for the clients that still read it.
std::vector<GeneralName> constrained_names(const Certificate& cert);
std::vector<GeneralName> subject_names(const X509_NAME& subject, const std::vector<GeneralName>& sans);
// A CN that is a host name: LDH labels, at least two of them, the last not all digits (so never
// an IPv4 address).
bool cn_is_host_name(std::string_view cn);

struct ConstraintViolation {
  GeneralName name;
  enum class Kind { kNotPermitted, kExcluded, kUnsupported } kind;
  std::optional<GeneralName> subtree;  // the excluded subtree that holds the name
};
std::string describe(const ConstraintViolation& v);

// The first name that `constraints` refuses, if any.
std::optional<ConstraintViolation> check(const NameConstraints& constraints,
                                         std::span<const GeneralName> names);

// Canonical RDN strings for RFC 5280 7.1 comparison: each attribute value in UTF-8, ASCII
// lowercased, leading and trailing spaces removed and inner runs of spaces collapsed; the
// attributes of a multi-valued RDN sorted.
std::vector<std::string> canonical_rdns(const X509_NAME& name);

}  // namespace pki::cert
