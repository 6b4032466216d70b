// Interface state through ioctls (and rtnetlink for the alias, which has no
// ioctl) on the calling thread's network namespace, so the privileged helper
// needs neither a shell nor iproute2.
#include "netif.h"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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

// One rtnetlink request about a link, named by IFLA_IFNAME.
class LinkRequest {
 public:
  LinkRequest(Napi::Env env, uint16_t type, uint16_t flags, const std::string &name) : env_(env) {
    if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "bad interface name: " + name);
    message_.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    message_.header.nlmsg_type = type;
    message_.header.nlmsg_flags = NLM_F_REQUEST | flags;
    message_.header.nlmsg_seq = 1;
    message_.link.ifi_family = AF_UNSPEC;
    Add(IFLA_IFNAME, name.c_str(), name.size() + 1);
  }

  void Add(uint16_t type, const void *data, size_t length) {
    size_t at = NLMSG_ALIGN(message_.header.nlmsg_len);
    if (at + RTA_SPACE(length) > sizeof message_) throw Napi::RangeError::New(env_, "netlink attribute too long");
    auto *attribute = reinterpret_cast<struct rtattr *>(reinterpret_cast<char *>(&message_) + at);
    attribute->rta_type = type;
    attribute->rta_len = RTA_LENGTH(length);
    std::memcpy(RTA_DATA(attribute), data, length);
    message_.header.nlmsg_len = at + RTA_SPACE(length);
  }

  // Sends the request and returns the kernel's answer; an NLMSG_ERROR other
  // than an acknowledgement is thrown as that errno.
  std::vector<char> Send(const std::string &name) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw SystemError(env_, errno, "socket", "AF_NETLINK");
    struct sockaddr_nl kernel = {};
    kernel.nl_family = AF_NETLINK;
    std::vector<char> reply(65536);
    ssize_t n = sendto(fd, &message_, message_.header.nlmsg_len, 0, reinterpret_cast<struct sockaddr *>(&kernel), sizeof kernel);
    int err = n < 0 ? errno : 0;
    if (!err) {
      do n = recv(fd, reply.data(), reply.size(), 0); while (n < 0 && errno == EINTR);
      if (n < 0) err = errno;
    }
    close(fd);
    if (err) throw SystemError(env_, err, "rtnetlink", name);
    auto *answer = reinterpret_cast<struct nlmsghdr *>(reply.data());
    if (!NLMSG_OK(answer, static_cast<size_t>(n))) throw Napi::Error::New(env_, "short rtnetlink answer about " + name);
    if (answer->nlmsg_type == NLMSG_ERROR) {
      int code = -reinterpret_cast<struct nlmsgerr *>(NLMSG_DATA(answer))->error;
      if (code) throw SystemError(env_, code, "rtnetlink", name);
    }
    reply.resize(answer->nlmsg_len);
    return reply;
  }

 private:
  Napi::Env env_;
  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
    char attributes[512];
  } message_ = {};
};

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

// setAlias(name, alias): sets IFLA_IFALIAS ("" removes it); needs CAP_NET_ADMIN.
Napi::Value SetAlias(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "setAlias(name: string, alias: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string alias = info[1].As<Napi::String>().Utf8Value();
  if (alias.size() >= IFALIASZ) throw Napi::RangeError::New(env, "an interface alias has at most 255 bytes");
  LinkRequest request(env, RTM_NEWLINK, NLM_F_ACK, name);
  request.Add(IFLA_IFALIAS, alias.data(), alias.size());
  request.Send(name);
  return env.Undefined();
}

// getAlias(name) -> the interface's IFLA_IFALIAS, or null when it has none.
Napi::Value GetAlias(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "getAlias(name: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::vector<char> reply = LinkRequest(env, RTM_GETLINK, 0, name).Send(name);
  auto *answer = reinterpret_cast<struct nlmsghdr *>(reply.data());
  if (answer->nlmsg_type != RTM_NEWLINK) throw Napi::Error::New(env, "unexpected rtnetlink answer about " + name);
  int length = IFLA_PAYLOAD(answer);
  for (auto *attribute = IFLA_RTA(NLMSG_DATA(answer)); RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
    if (attribute->rta_type != IFLA_IFALIAS) continue;
    const char *text = static_cast<const char *>(RTA_DATA(attribute));
    return Napi::String::New(env, text, strnlen(text, RTA_PAYLOAD(attribute)));
  }
  return env.Null();
}
