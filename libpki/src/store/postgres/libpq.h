// libpq, loaded with dlopen on first use (postgres_store.h says why), and small owning handles
// for what it returns.
#pragma once

#include <libpq-fe.h>

#include <memory>

#include "pki/core/error.h"

namespace pki::store::pg {

// The libpq functions pki calls.
struct Libpq {
  decltype(&PQconnectStartParams) connectStartParams;
  decltype(&PQconnectPoll) connectPoll;
  decltype(&PQsocket) socket;
  decltype(&PQconninfo) conninfo;
  decltype(&PQstatus) status;
  decltype(&PQreset) reset;
  decltype(&PQerrorMessage) errorMessage;
  decltype(&PQfinish) finish;
  decltype(&PQsetNoticeProcessor) setNoticeProcessor;
  decltype(&PQexec) exec;
  decltype(&PQexecParams) execParams;
  decltype(&PQprepare) prepare;
  decltype(&PQexecPrepared) execPrepared;
  decltype(&PQresultStatus) resultStatus;
  decltype(&PQresultErrorField) resultErrorField;
  decltype(&PQresultErrorMessage) resultErrorMessage;
  decltype(&PQntuples) ntuples;
  decltype(&PQgetvalue) getvalue;
  decltype(&PQgetlength) getlength;
  decltype(&PQgetisnull) getisnull;
  decltype(&PQfname) fname;
  decltype(&PQfformat) fformat;
  decltype(&PQclear) clear;
  decltype(&PQtransactionStatus) transactionStatus;
  decltype(&PQconninfoParse) conninfoParse;
  decltype(&PQconninfoFree) conninfoFree;
  decltype(&PQfreemem) freemem;
};

// Loads libpq.so.5 once; a failure names the Debian package.
Result<const Libpq*> libpq();

}  // namespace pki::store::pg
