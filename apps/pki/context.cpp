#include "context.h"

#include <iostream>
#include <pwd.h>
#include <unistd.h>

#include "pki/core/io.h"
#include "pki/core/time.h"

namespace pki::app {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<void> Context::init_clock() {
  if (now_text.empty()) {
    clock_ = std::make_unique<SystemClock>();
  } else {
    PKI_ASSIGN(TimePoint t, parse_rfc3339(now_text));
    clock_ = std::make_unique<FixedClock>(t);
  }
  return {};
}

Result<store::Store*> Context::store(store::OpenMode mode) {
  if (!store_) {
    PKI_ASSIGN(store_, store::open_sqlite(db_path, mode));
  }
  return store_.get();
}

Result<const Secret*> Context::passphrase() {
  if (!passphrase_read_) {
    passphrase_read_ = true;
    if (!passphrase_file.empty()) {
      PKI_ASSIGN(std::string text, read_file(passphrase_file));
      // The passphrase is the file's first line.
      const std::size_t eol = text.find_first_of("\r\n");
      if (eol != std::string::npos) text.resize(eol);
      if (text.empty()) return fail(ErrorCode::kBadInput, "the passphrase file '" + passphrase_file + "' is empty");
      passphrase_.emplace(std::move(text));
    }
  }
  return passphrase_ ? &*passphrase_ : nullptr;
}

std::string Context::actor() {
  const uid_t uid = ::geteuid();
  if (const passwd* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return "uid:" + std::to_string(uid);
}

void Context::emit(const nlohmann::json& doc, const std::string& text) const {
  if (json) {
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
  }
}

}  // namespace pki::app
