#include <napi.h>

#include "netif.h"
#include "tun.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("TunDevice", TunDevice::Define(env));
  exports.Set("setPersistent", Napi::Function::New(env, SetPersistent));
  exports.Set("getInterface", Napi::Function::New(env, GetInterface));
  exports.Set("configureInterface", Napi::Function::New(env, ConfigureInterface));
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser));
  exports.Set("setAlias", Napi::Function::New(env, SetAlias));
  exports.Set("getAlias", Napi::Function::New(env, GetAlias));
  return exports;
}

NODE_API_MODULE(tunscope_tun, Init)
