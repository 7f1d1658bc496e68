#include "libpq.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace pki::store::pg {

namespace {

Result<const Libpq*> load() {
  // RTLD_LOCAL: libpq's symbols, and those of the shared OpenSSL it brings, stay out of the
  // process's global scope, apart from the OpenSSL linked into pki.
  void* h = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    return fail(ErrorCode::kStore, Field::kDatabase,
                std::string("a PostgreSQL store needs libpq (Debian package libpq5): ") +
                    (why ? why : "dlopen failed"));
  }
  static Libpq api;
  bool missing = false;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
    if (fn == nullptr) missing = true;
  };
  sym(api.connectStartParams, "PQconnectStartParams");
  sym(api.connectPoll, "PQconnectPoll");
  sym(api.socket, "PQsocket");
  sym(api.conninfo, "PQconninfo");
  sym(api.status, "PQstatus");
  sym(api.fformat, "PQfformat");
  sym(api.reset, "PQreset");
  sym(api.errorMessage, "PQerrorMessage");
  sym(api.finish, "PQfinish");
  sym(api.setNoticeProcessor, "PQsetNoticeProcessor");
  sym(api.exec, "PQexec");
  sym(api.execParams, "PQexecParams");
  sym(api.prepare, "PQprepare");
  sym(api.execPrepared, "PQexecPrepared");
  sym(api.resultStatus, "PQresultStatus");
  sym(api.resultErrorField, "PQresultErrorField");
  sym(api.resultErrorMessage, "PQresultErrorMessage");
  sym(api.ntuples, "PQntuples");
  sym(api.getvalue, "PQgetvalue");
  sym(api.getlength, "PQgetlength");
  sym(api.getisnull, "PQgetisnull");
  sym(api.fname, "PQfname");
  sym(api.clear, "PQclear");
  sym(api.transactionStatus, "PQtransactionStatus");
  sym(api.conninfoParse, "PQconninfoParse");
  sym(api.conninfoFree, "PQconninfoFree");
  sym(api.freemem, "PQfreemem");
  if (missing)
    return fail(ErrorCode::kStore, Field::kDatabase, "the libpq.so.5 found lacks functions pki uses");
  return &api;
}

}  // namespace

Result<const Libpq*> libpq() {
  static std::once_flag once;
  static Result<const Libpq*> loaded = fail(ErrorCode::kInternal, "not loaded");
  std::call_once(once, [] { loaded = load(); });
  return loaded;
}

}  // namespace pki::store::pg
