#include "pki/cert/name.h"

#include <vector>

namespace pki::cert {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at unescaped `sep`, keeping escapes in the pieces.
std::vector<std::string> split_unescaped(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      cur.push_back(text[i]);
      cur.push_back(text[++i]);
    } else if (text[i] == sep) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(text[i]);
    }
  }
  out.push_back(std::move(cur));
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

Result<OsslPtr<X509_NAME>> parse_dn(std::string_view text) {
  const std::string shown(text);
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kBadInput, "invalid subject '" + shown + "': " + why);
  };
  std::string_view body = trim(text);
  if (body.empty()) return bad("empty");
  std::vector<std::string> rdns;
  if (body.front() == '/') {
    body.remove_prefix(1);
    rdns = split_unescaped(body, '/');
  } else {
    rdns = split_unescaped(body, ',');
  }
  OsslPtr<X509_NAME> name(X509_NAME_new());
  for (const std::string& rdn : rdns) {
    if (trim(rdn).empty()) return bad("empty component");
    const auto avas = split_unescaped(rdn, '+');
    int set = 0;  // 0: start a new RDN; -1: add to the previous RDN (a multi-valued RDN)
    for (const std::string& ava : avas) {
      const std::size_t eq = ava.find('=');
      if (eq == std::string::npos) return bad("'" + std::string(trim(ava)) + "' is not TYPE=value");
      const std::string type(trim(std::string_view(ava).substr(0, eq)));
      const std::string value = unescape(trim(std::string_view(ava).substr(eq + 1)));
      if (type.empty()) return bad("missing attribute type");
      if (value.empty()) return bad("empty value for " + type);
      const int nid = OBJ_txt2nid(type.c_str());
      if (nid == NID_undef) return bad("unknown attribute type '" + type + "'");
      if (!X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, set)) {
        drain_openssl_errors();
        return bad("value not allowed for " + type);
      }
      set = -1;
    }
  }
  PKI_TRY(check_subject(*name));
  return name;
}

std::string format_dn(const X509_NAME& name) {
  std::string out;
  const int n = X509_NAME_entry_count(&name);
  int prev_set = -1;
  for (int i = 0; i < n; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(&name, i);
    const int set = X509_NAME_ENTRY_set(e);
    if (i > 0) out += (set == prev_set) ? "+" : ", ";
    prev_set = set;
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    const int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) {
      out += OBJ_nid2sn(nid);
    } else {
      char buf[128];
      OBJ_obj2txt(buf, sizeof buf, obj, 1);
      out += buf;
    }
    out += '=';
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) {
      drain_openssl_errors();
      out += "#<undecodable>";
      continue;
    }
    for (int j = 0; j < len; ++j) {
      const char c = static_cast<char>(utf8[j]);
      if (c == ',' || c == '+' || c == '\\' || c == '/' || c == '=') out += '\\';
      out += c;
    }
    OPENSSL_free(utf8);
  }
  return out;
}

Result<Bytes> name_der(const X509_NAME& name) {
  unsigned char* buf = nullptr;
  const int n = i2d_X509_NAME(&name, &buf);
  if (n < 0) return fail_openssl(ErrorCode::kInternal, "cannot encode a name");
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

std::vector<std::string> common_names(const X509_NAME& name) {
  std::vector<std::string> out;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(&name, NID_commonName, i)) >= 0;) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(&name, i)));
    if (len < 0) {
      drain_openssl_errors();
      continue;
    }
    out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

Result<void> check_subject(const X509_NAME& name) {
  // RFC 5280 Appendix A.1: ub-common-name 64; ub-organization-name, ub-locality-name,
  // ub-state-name and the like are at most 128.
  constexpr std::size_t kMaxCommonName = 64, kMaxOther = 128;
  int cns = 0;
  for (int i = 0; i < X509_NAME_entry_count(&name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(&name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* attr = nid != NID_undef ? OBJ_nid2sn(nid) : "attribute";
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, std::string("the subject's ") + attr + " is not a valid string");
    }
    const std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    std::size_t chars = 0;
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f)
        return fail(ErrorCode::kBadInput,
                    std::string("the subject's ") + attr + " holds a control character");
      if ((c & 0xc0) != 0x80) ++chars;  // count UTF-8 characters, not bytes
    }
    if (nid == NID_commonName) ++cns;
    if (chars > (nid == NID_commonName ? kMaxCommonName : kMaxOther))
      return fail(ErrorCode::kBadInput,
                  std::string("the subject's ") + attr + " is longer than " +
                      std::to_string(nid == NID_commonName ? kMaxCommonName : kMaxOther) +
                      " characters (RFC 5280 Appendix A.1)");
  }
  if (cns > 1) return fail(ErrorCode::kBadInput, "the subject has more than one CN");
  return {};
}

std::string common_name(const X509_NAME& name) {
  const int idx = [&] {
    int last = -1, i = -1;
    while ((i = X509_NAME_get_index_by_NID(&name, NID_commonName, i)) >= 0) last = i;
    return last;
  }();
  if (idx < 0) return {};
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(&name, idx)));
  if (len < 0) {
    drain_openssl_errors();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace pki::cert
