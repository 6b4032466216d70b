// Interface state through ioctls on the calling thread's network namespace,
// so the privileged helper needs neither a shell nor iproute2.
#include "netif.h"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "syserror.h"

namespace {

class ControlSocket {
 public:
  explicit ControlSocket(Napi::Env env) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw SystemError(env, errno, "socket", "AF_INET");
  }
  ~ControlSocket() { close(fd_); }
  // Returns 0 or errno.
  int Ioctl(unsigned long request, struct ifreq *ifr) const { return ioctl(fd_, request, ifr) < 0 ? errno : 0; }
  int Ioctl(unsigned long request, struct ifreq *ifr, Napi::Env env, const char *call) const {
    int err = Ioctl(request, ifr);
    if (err) throw SystemError(env, err, call, ifr->ifr_name);
    return 0;
  }

 private:
  int fd_;
};

struct ifreq Request(Napi::Env env, const std::string &name) {
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "bad interface name: " + name);
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ifr;
}

std::string Ipv4String(const struct sockaddr &sa) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<const struct sockaddr_in &>(sa).sin_addr, text, sizeof text);
  return text;
}

void SetIpv4(Napi::Env env, struct sockaddr *sa, const std::string &text) {
  auto *in = reinterpret_cast<struct sockaddr_in *>(sa);
  in->sin_family = AF_INET;
  if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) != 1) throw Napi::RangeError::New(env, "bad IPv4 address: " + text);
}

}  // namespace

// getInterface(name) -> null when there is no such interface, else
// { index, mtu, up, kind: 'tun'|'tap'|'other', driver, address, prefixLength }
Napi::Value GetInterface(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "getInterface(name: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  ControlSocket sock(env);
  struct ifreq ifr = Request(env, name);
  int err = sock.Ioctl(SIOCGIFINDEX, &ifr);
  if (err == ENODEV) return env.Null();
  if (err) throw SystemError(env, err, "SIOCGIFINDEX", name);
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", name);
  out.Set("index", ifr.ifr_ifindex);
  sock.Ioctl(SIOCGIFMTU, &ifr, env, "SIOCGIFMTU");
  out.Set("mtu", ifr.ifr_mtu);
  sock.Ioctl(SIOCGIFFLAGS, &ifr, env, "SIOCGIFFLAGS");
  out.Set("up", (ifr.ifr_flags & IFF_UP) != 0);

  struct ethtool_drvinfo drv = {};
  drv.cmd = ETHTOOL_GDRVINFO;
  ifr.ifr_data = reinterpret_cast<char *>(&drv);
  std::string driver = sock.Ioctl(SIOCETHTOOL, &ifr) == 0 ? drv.driver : "";
  out.Set("driver", driver);
  std::string kind = "other";
  if (driver == "tun") {
    sock.Ioctl(SIOCGIFHWADDR, &ifr, env, "SIOCGIFHWADDR");
    kind = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER ? "tap" : "tun";
  }
  out.Set("kind", kind);

  if (sock.Ioctl(SIOCGIFADDR, &ifr) == 0) {
    out.Set("address", Ipv4String(ifr.ifr_addr));
    sock.Ioctl(SIOCGIFNETMASK, &ifr, env, "SIOCGIFNETMASK");
    uint32_t mask = ntohl(reinterpret_cast<struct sockaddr_in &>(ifr.ifr_netmask).sin_addr.s_addr);
    out.Set("prefixLength", __builtin_popcount(mask));
  } else {
    out.Set("address", env.Null());
    out.Set("prefixLength", env.Null());
  }
  return out;
}

// configureInterface(name, { address?, prefixLength?, mtu?, up? }); needs CAP_NET_ADMIN.
Napi::Value ConfigureInterface(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "configureInterface(name: string, settings: object)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Napi::Object settings = info[1].As<Napi::Object>();
  ControlSocket sock(env);
  struct ifreq ifr = Request(env, name);
  if (settings.Has("mtu") && settings.Get("mtu").IsNumber()) {
    ifr.ifr_mtu = settings.Get("mtu").As<Napi::Number>().Int32Value();
    sock.Ioctl(SIOCSIFMTU, &ifr, env, "SIOCSIFMTU");
  }
  if (settings.Has("address") && settings.Get("address").IsString()) {
    SetIpv4(env, &ifr.ifr_addr, settings.Get("address").As<Napi::String>().Utf8Value());
    sock.Ioctl(SIOCSIFADDR, &ifr, env, "SIOCSIFADDR");
    uint32_t prefix = settings.Get("prefixLength").As<Napi::Number>().Uint32Value();
    if (prefix > 32) throw Napi::RangeError::New(env, "prefix length over 32");
    auto *mask = reinterpret_cast<struct sockaddr_in *>(&ifr.ifr_netmask);
    mask->sin_family = AF_INET;
    mask->sin_addr.s_addr = htonl(prefix == 0 ? 0 : ~0U << (32 - prefix));
    sock.Ioctl(SIOCSIFNETMASK, &ifr, env, "SIOCSIFNETMASK");
  }
  if (settings.Has("up") && settings.Get("up").IsBoolean()) {
    sock.Ioctl(SIOCGIFFLAGS, &ifr, env, "SIOCGIFFLAGS");
    if (settings.Get("up").As<Napi::Boolean>().Value()) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    sock.Ioctl(SIOCSIFFLAGS, &ifr, env, "SIOCSIFFLAGS");
  }
  return env.Undefined();
}

// lookupUser(login) -> { uid, gid } or null (through NSS, as login would).
Napi::Value LookupUser(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "lookupUser(login: string)");
  std::string login = info[0].As<Napi::String>().Utf8Value();
  struct passwd pw, *result = nullptr;
  std::vector<char> buf(16384);
  int err = getpwnam_r(login.c_str(), &pw, buf.data(), buf.size(), &result);
  if (err) throw SystemError(env, err, "getpwnam_r", login);
  if (!result) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("uid", static_cast<double>(pw.pw_uid));
  out.Set("gid", static_cast<double>(pw.pw_gid));
  return out;
}
