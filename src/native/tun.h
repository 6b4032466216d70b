#pragma once
#include <napi.h>
#include <uv.h>

// An open TUN or TAP queue. Reads are drained in batches into a caller-owned
// buffer and reported with one JS call per batch; writes take a batch of spans.
class TunDevice : public Napi::ObjectWrap<TunDevice> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TunDevice(const Napi::CallbackInfo &info);
  ~TunDevice() override;

 private:
  Napi::Value Name(const Napi::CallbackInfo &info);
  Napi::Value StartReading(const Napi::CallbackInfo &info);
  Napi::Value WritePackets(const Napi::CallbackInfo &info);
  Napi::Value LastWriteError(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);

  static void OnReadable(uv_poll_t *poll, int status, int events);
  void DrainBatch();
  void StopPoll();

  int fd_ = -1;
  std::string name_;
  uv_poll_t *poll_ = nullptr;  // freed in its close callback
  Napi::Reference<Napi::Uint8Array> readBufferRef_;
  uint8_t *readBuf_ = nullptr;
  size_t readCap_ = 0;
  size_t headroom_ = 0;
  size_t maxPackets_ = 0;
  Napi::FunctionReference onBatch_;
  Napi::FunctionReference onError_;
  Napi::AsyncContext *asyncContext_ = nullptr;
  int lastWriteErrno_ = 0;
};

Napi::Value SetPersistent(const Napi::CallbackInfo &info);
