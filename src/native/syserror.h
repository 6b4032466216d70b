// Errors thrown to JavaScript carry the errno name (err.code), the number
// (err.errno) and the failing call (err.syscall), like Node's own.
#pragma once
#include <napi.h>
#include <uv.h>
#include <cerrno>
#include <cstring>
#include <string>

inline Napi::Error SystemError(Napi::Env env, int err, const std::string &syscall, const std::string &subject) {
  Napi::Error e = Napi::Error::New(env, syscall + " " + subject + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}
