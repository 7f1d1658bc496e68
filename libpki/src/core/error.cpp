#include "pki/core/error.h"

#include <openssl/err.h>

namespace pki {

std::string drain_openssl_errors() {
  std::string out;
  unsigned long code = 0;
  const char* data = nullptr;
  int flags = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    if ((flags & ERR_TXT_STRING) && data && *data) {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out;
}

tl::unexpected<Error> fail_openssl(ErrorCode code, std::string message) {
  return fail(code, std::move(message), drain_openssl_errors());
}

}  // namespace pki
