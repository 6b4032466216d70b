// Errors thrown to JavaScript carry the errno name (err.code), the number
// (err.errno) and the failing call (err.syscall), like Node's own.
#pragma once
#include <napi.h>
#include <uv.h>
#include <cerrno>
#include <cstring>
#include <string>

// errno's symbolic name ("EBADFD"): libuv's where it has one, glibc's for
// those libuv does not know (it would say "Unknown system error -77").
inline std::string ErrnoName(int err) {
  char name[64];
  uv_err_name_r(-err, name, sizeof name);
  if (std::strncmp(name, "Unknown", 7) != 0) return name;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char *glibc = strerrorname_np(err)) return glibc;
#endif
  return "errno " + std::to_string(err);
}

inline Napi::Error SystemError(Napi::Env env, int err, const std::string &syscall, const std::string &subject) {
  Napi::Error e = Napi::Error::New(env, syscall + " " + subject + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}
