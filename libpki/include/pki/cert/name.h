// Distinguished names as users write them, and as pki prints them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki::cert {

// Parses "CN=Example Root, O=Example, C=US" or the OpenSSL form "/C=US/O=Example/CN=Example Root".
// RDNs are encoded in the order written (as `openssl x509 -subject` prints them). Attribute names
// are OpenSSL's short or long names (CN, O, OU, C, L, ST, emailAddress, DC, ...) or dotted OIDs;
// a ',' '+' '\' '/' in a value is escaped with '\'. Values are UTF8String (C is PrintableString).
Result<OsslPtr<X509_NAME>> parse_dn(std::string_view text);

// "CN=Example Root, O=Example, C=US": RDNs in encoding order, special characters escaped.
std::string format_dn(const X509_NAME& name);

Result<Bytes> name_der(const X509_NAME& name);

// The value of the last CN attribute, or "" when there is none.
std::string common_name(const X509_NAME& name);
// Every CN value, in order.
std::vector<std::string> common_names(const X509_NAME& name);

// What pki puts in a subject it issues: values in UTF-8 without control characters, a CN of at
// most 64 characters (RFC 5280 Appendix A.1 ub-common-name), other values at most 128, and at
// most one CN (a second one leaves readers to guess which is meant). kBadInput otherwise.
Result<void> check_subject(const X509_NAME& name);

}  // namespace pki::cert
