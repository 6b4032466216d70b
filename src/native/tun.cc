#include "tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "syserror.h"

namespace {

constexpr size_t kMaxPacket = 65535;

// Opens /dev/net/tun and binds it to `name` (created if missing, which needs
// CAP_NET_ADMIN; attaching to an existing device the caller owns does not).
int OpenQueue(Napi::Env env, const std::string &name, bool tap, std::string *actualName) {
  if (name.size() >= IFNAMSIZ) throw Napi::Error::New(env, "interface name too long: " + name);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw SystemError(env, errno, "open", "/dev/net/tun");
  struct ifreq ifr = {};
  ifr.ifr_flags = (tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    throw SystemError(env, err, "TUNSETIFF", name);
  }
  if (actualName) *actualName = ifr.ifr_name;
  return fd;
}

}  // namespace

Napi::Function TunDevice::Define(Napi::Env env) {
  return DefineClass(env, "TunDevice",
                     {
                         InstanceAccessor<&TunDevice::Name>("name"),
                         InstanceMethod<&TunDevice::StartReading>("startReading"),
                         InstanceMethod<&TunDevice::WritePackets>("writePackets"),
                         InstanceAccessor<&TunDevice::LastWriteError>("lastWriteError"),
                         InstanceMethod<&TunDevice::Close>("close"),
                     });
}

// new TunDevice(name, tap)
TunDevice::TunDevice(const Napi::CallbackInfo &info) : Napi::ObjectWrap<TunDevice>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean())
    throw Napi::TypeError::New(env, "TunDevice(name: string, tap: boolean)");
  fd_ = OpenQueue(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Boolean>().Value(), &name_);
}

TunDevice::~TunDevice() {
  StopPoll();
  if (fd_ >= 0) close(fd_);
  delete asyncContext_;
}

Napi::Value TunDevice::Name(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), name_); }

// startReading(buffer: Uint8Array, headroom: number, maxPackets: number, onBatch(count, end), onError(code))
// Each packet lands at [pos + headroom, pos + headroom + n) with n as a
// big-endian u16 at pos; the caller fills the rest of the headroom in place.
// A read error other than "try again" (EBADFD once the device is deleted)
// stops reading and is reported once: a dead fd polls readable forever.
Napi::Value TunDevice::StartReading(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw Napi::Error::New(env, "the TUN device is closed");
  if (poll_) throw Napi::Error::New(env, "already reading");
  if (info.Length() < 5 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsFunction() || !info[4].IsFunction())
    throw Napi::TypeError::New(env, "startReading(buffer: Uint8Array, headroom: number, maxPackets: number, onBatch: Function, onError: Function)");
  auto buffer = info[0].As<Napi::Uint8Array>();
  headroom_ = info[1].As<Napi::Number>().Uint32Value();
  maxPackets_ = info[2].As<Napi::Number>().Uint32Value();
  if (headroom_ < 2 || buffer.ByteLength() < headroom_ + kMaxPacket || maxPackets_ == 0)
    throw Napi::RangeError::New(env, "read buffer must hold headroom + 65535 bytes, headroom >= 2, maxPackets >= 1");
  readBufferRef_ = Napi::Reference<Napi::Uint8Array>::New(buffer, 1);
  readBuf_ = buffer.Data();
  readCap_ = buffer.ByteLength();
  onBatch_ = Napi::Persistent(info[3].As<Napi::Function>());
  onError_ = Napi::Persistent(info[4].As<Napi::Function>());
  if (!asyncContext_) asyncContext_ = new Napi::AsyncContext(env, "TunDevice.read");

  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  poll_->data = this;
  int r = uv_poll_init(loop, poll_, fd_);
  if (r == 0) r = uv_poll_start(poll_, UV_READABLE, OnReadable);
  if (r != 0) {
    StopPoll();
    throw SystemError(env, -r, "uv_poll_start", name_);
  }
  Ref();  // stay alive while the loop watches the fd
  return env.Undefined();
}

void TunDevice::OnReadable(uv_poll_t *poll, int status, int) {
  auto *self = static_cast<TunDevice *>(poll->data);
  if (status < 0) return;  // the next read reports the real error
  self->DrainBatch();
}

void TunDevice::DrainBatch() {
  size_t pos = 0, count = 0;
  int readErrno = 0;
  while (count < maxPackets_ && readCap_ - pos >= headroom_ + kMaxPacket) {
    ssize_t n = read(fd_, readBuf_ + pos + headroom_, kMaxPacket);
    if (n < 0) {
      // EAGAIN ends the batch; EINTR is retried by the level-triggered poll.
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) readErrno = errno;
      break;
    }
    readBuf_[pos] = static_cast<uint8_t>(n >> 8);
    readBuf_[pos + 1] = static_cast<uint8_t>(n);
    pos += headroom_ + static_cast<size_t>(n);
    count++;
  }
  if (count == 0 && readErrno == 0) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    if (count > 0) onBatch_.MakeCallback(Value(), {Napi::Number::New(env, count), Napi::Number::New(env, pos)}, *asyncContext_);
    if (readErrno != 0 && poll_) {
      Napi::Function onError = onError_.Value();
      StopPoll();
      Unref();
      onError.MakeCallback(Value(), {Napi::String::New(env, ErrnoName(readErrno))}, *asyncContext_);
    }
  } catch (const Napi::Error &e) {
    napi_fatal_exception(env, e.Value());
  }
}

void TunDevice::StopPoll() {
  if (!poll_) return;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
  poll_ = nullptr;
  if (!onBatch_.IsEmpty()) onBatch_.Reset();
  if (!onError_.IsEmpty()) onError_.Reset();
  if (!readBufferRef_.IsEmpty()) readBufferRef_.Reset();
}

// writePackets(buffer: Uint8Array, spans: Uint32Array [start, length]*, count): number written.
// A packet the kernel refuses is dropped, not retried; lastWriteError names the last errno.
Napi::Value TunDevice::WritePackets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "writePackets(buffer: Uint8Array, spans: Uint32Array, count: number)");
  if (fd_ < 0) throw Napi::Error::New(env, "the TUN device is closed");
  auto buffer = info[0].As<Napi::Uint8Array>();
  auto spans = info[1].As<Napi::Uint32Array>();
  size_t count = info[2].As<Napi::Number>().Uint32Value();
  if (count * 2 > spans.ElementLength()) throw Napi::RangeError::New(env, "more packets than spans");
  const uint8_t *base = buffer.Data();
  size_t len = buffer.ByteLength();
  const uint32_t *s = spans.Data();
  uint32_t written = 0;
  for (size_t i = 0; i < count; i++) {
    size_t start = s[2 * i], n = s[2 * i + 1];
    if (start > len || n > len - start) throw Napi::RangeError::New(env, "span outside the buffer");
    ssize_t w;
    do w = write(fd_, base + start, n); while (w < 0 && errno == EINTR);
    if (w < 0) lastWriteErrno_ = errno; else written++;
  }
  return Napi::Number::New(env, written);
}

Napi::Value TunDevice::LastWriteError(const Napi::CallbackInfo &info) {
  if (lastWriteErrno_ == 0) return info.Env().Null();
  return Napi::String::New(info.Env(), ErrnoName(lastWriteErrno_));
}

Napi::Value TunDevice::Close(const Napi::CallbackInfo &info) {
  if (poll_) {
    StopPoll();
    Unref();
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  return info.Env().Undefined();
}

// setPersistent(name, tap, persistent, ownerUid | -1): makes a device outlive its
// opener (owned by ownerUid, so that user may attach without privileges), or
// removes a persistent one. Needs CAP_NET_ADMIN.
Napi::Value SetPersistent(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsBoolean() || !info[2].IsBoolean() || !info[3].IsNumber())
    throw Napi::TypeError::New(env, "setPersistent(name: string, tap: boolean, persistent: boolean, ownerUid: number)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int fd = OpenQueue(env, name, info[1].As<Napi::Boolean>().Value(), nullptr);
  int64_t owner = info[3].As<Napi::Number>().Int64Value();
  bool persistent = info[2].As<Napi::Boolean>().Value();
  int err = 0;
  const char *call = nullptr;
  if (persistent && owner >= 0 && ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(owner)) < 0) err = errno, call = "TUNSETOWNER";
  if (!err && ioctl(fd, TUNSETPERSIST, persistent ? 1UL : 0UL) < 0) err = errno, call = "TUNSETPERSIST";
  close(fd);
  if (err) throw SystemError(env, err, call, name);
  return env.Undefined();
}
