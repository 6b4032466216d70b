#pragma once
#include <napi.h>

Napi::Value GetInterface(const Napi::CallbackInfo &info);
Napi::Value ConfigureInterface(const Napi::CallbackInfo &info);
Napi::Value LookupUser(const Napi::CallbackInfo &info);
Napi::Value SetAlias(const Napi::CallbackInfo &info);
Napi::Value GetAlias(const Napi::CallbackInfo &info);
