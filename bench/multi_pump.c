/*
 * multi_pump: the device and host ends of a bench run with one or several
 * devices on one bridge (bench/multi-bench.sh). The same program plays every
 * device, whether it is alone on the bridge or has company, so the only thing
 * that changes between the two cases is how many devices there are. Each
 * device has its own address and MAC and sends from them, so that the bridge
 * learns which port has which address. ESP32 framing (2-byte big-endian length
 * before each Ethernet frame), as the shared pump.c speaks.
 *
 *   multi_pump d2h SOCK IP MAC SIZE SECONDS
 *       Listen on SOCK; once the bridge connects, write Ethernet/IPv4/UDP frames
 *       (MAC -> 02:00:00:00:00:01, IP:9 -> 192.168.100.1:9999, SIZE bytes of IP)
 *       as fast as the bridge takes them, for SECONDS.
 *   multi_pump h2d SOCK IP MAC SECONDS
 *       Listen on SOCK; once the bridge connects, announce IP at MAC (a
 *       gratuitous ARP, which the bridge learns the address from and does not
 *       answer), answer ARP requests for IP, and count the records the bridge
 *       writes for SECONDS after the first UDP packet to IP arrives. Counted
 *       ("frames") are IPv4 packets to IP; "misrouted" IPv4 packets to another
 *       address, "arp" ARP frames, "other" anything else. "wrongMac" counts the
 *       IPv4 packets to IP whose destination MAC is neither MAC nor broadcast.
 *   multi_pump sink PORT SECONDS
 *       Count UDP datagrams on 0.0.0.0:PORT for SECONDS after the first, in all
 *       and by source address ("from").
 *   multi_pump blast PORT SIZE SECONDS DST...
 *       Send UDP datagrams of SIZE bytes of IP to DST:PORT, the DSTs in turn
 *       (one process whatever the number of devices, so the host's load is the
 *       same program in both cases); "to" has what went to each.
 *
 * Every mode prints one JSON line: {"mode":..,"frames":..,"bytes":..,"seconds":..,...}.
 * Bytes are counted as the shared pump.c counts them: d2h and h2d the records'
 * bytes on the socket (length prefix included), sink the UDP payloads, blast
 * the IP packets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const uint8_t GATEWAY_MAC[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t BROADCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* SIGTERM ends d2h and blast early with their report (the bench stops them when the counting is done). */
static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void)sig; stopping = 1; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Whether fd has data before the measurement's end (`seconds` after t0), or within 10 s of the
   start while the first data has yet to come (t0 == 0). */
static int readable_in_time(int fd, double t0, double seconds) {
  int wait_ms = t0 == 0 ? 10000 : (int)((seconds - (now() - t0)) * 1000);
  if (wait_ms <= 0) return 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, wait_ms) > 0;
}

static void die(const char *what) {
  fprintf(stderr, "multi_pump: %s\n", what);
  exit(2);
}

static void parse_ip(const char *text, uint8_t ip[4]) {
  if (inet_pton(AF_INET, text, ip) != 1) die("bad IPv4 address");
}

static void parse_mac(const char *text, uint8_t mac[6]) {
  unsigned m[6];
  if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) die("bad MAC");
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)m[i];
}

static int accept_bridge(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) die("socket path too long");
  strcpy(addr.sun_path, path);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(path);
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 1)) {
    perror("multi_pump: listen");
    exit(1);
  }
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) { perror("multi_pump: accept"); exit(1); }
  close(listener);
  return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR && !stopping) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t checksum(const uint8_t *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static int d2h(const char *path, const uint8_t ip[4], const uint8_t mac[6], int size, double seconds) {
  if (size < 28 || size > 1500) die("SIZE is 28..1500 bytes of IP");
  enum { REPS = 64 };
  static uint8_t big[REPS * (2 + 14 + 1500)];
  uint8_t *rec = big;
  int flen = 14 + size, rlen = 2 + flen;
  put16(rec, (unsigned)flen);
  uint8_t *f = rec + 2;
  memcpy(f, GATEWAY_MAC, 6);
  memcpy(f + 6, mac, 6);
  put16(f + 12, 0x0800);
  uint8_t *h = f + 14;
  memset(h, 0, (size_t)size);
  h[0] = 0x45;
  put16(h + 2, (unsigned)size);
  h[8] = 64;
  h[9] = 17;
  memcpy(h + 12, ip, 4);
  inet_pton(AF_INET, "192.168.100.1", h + 16);
  put16(h + 10, checksum(h, 20));
  put16(h + 20, 9);
  put16(h + 22, 9999);
  put16(h + 24, (unsigned)(size - 20));
  for (int i = 1; i < REPS; i++) memcpy(big + i * rlen, rec, (size_t)rlen);
  int fd = accept_bridge(path);
  unsigned long frames = 0;
  unsigned long long bytes = 0;
  double t0 = now();
  while (!stopping && now() - t0 < seconds) {
    if (write_all(fd, big, (size_t)REPS * rlen)) break;
    frames += REPS;
    bytes += (unsigned long long)REPS * rlen;
  }
  printf("{\"mode\":\"d2h-sent\",\"frames\":%lu,\"bytes\":%llu,\"seconds\":%.3f}\n", frames, bytes, now() - t0);
  return 0;
}

/* An ARP frame (42 bytes) with its length prefix into out: op 1 request, 2 reply. */
static int arp_record(uint8_t *out, int op, const uint8_t dst_mac[6], const uint8_t sender_mac[6], const uint8_t sender_ip[4],
                      const uint8_t target_mac[6], const uint8_t target_ip[4]) {
  put16(out, 42);
  uint8_t *f = out + 2;
  memcpy(f, dst_mac, 6);
  memcpy(f + 6, sender_mac, 6);
  put16(f + 12, 0x0806);
  static const uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 0};
  memcpy(f + 14, head, 8);
  f[21] = (uint8_t)op;
  memcpy(f + 22, sender_mac, 6);
  memcpy(f + 28, sender_ip, 4);
  memcpy(f + 32, target_mac, 6);
  memcpy(f + 38, target_ip, 4);
  return 44;
}

static int h2d(const char *path, const uint8_t ip[4], const uint8_t mac[6], double seconds) {
  int fd = accept_bridge(path);
  uint8_t rec[64];
  static const uint8_t zero_mac[6] = {0};
  /* Gratuitous ARP: "IP is at MAC", sender and target both IP. */
  int n = arp_record(rec, 1, BROADCAST_MAC, mac, ip, zero_mac, ip);
  if (write_all(fd, rec, (size_t)n)) die("announce failed");
  unsigned long frames = 0, misrouted = 0, arp = 0, other = 0, wrong_mac = 0, answered = 0;
  unsigned long long bytes = 0;
  enum { SPACE = 1 << 17 };
  static uint8_t buf[2 * SPACE];
  size_t have = 0;
  double t0 = 0;
  for (;;) {
    if (!readable_in_time(fd, t0, seconds)) break;
    ssize_t r = read(fd, buf + have, SPACE);
    if (r <= 0) break;
    have += (size_t)r;
    size_t at = 0;
    while (have - at >= 2) {
      size_t len = (size_t)buf[at] << 8 | buf[at + 1];
      if (have - at < 2 + len) break;
      const uint8_t *f = buf + at + 2;
      unsigned type = len >= 14 ? (unsigned)(f[12] << 8 | f[13]) : 0;
      if (type == 0x0800 && len >= 34) {
        if (!memcmp(f + 30, ip, 4)) {
          if (t0 == 0) t0 = now();
          frames++;
          bytes += 2 + len;
          if (memcmp(f, mac, 6) && memcmp(f, BROADCAST_MAC, 6)) wrong_mac++;
        } else misrouted++;
      } else if (type == 0x0806 && len >= 42) {
        arp++;
        /* A request for IP (the bridge asking who has it): answer it. */
        if (f[20] == 0 && f[21] == 1 && !memcmp(f + 38, ip, 4)) {
          int m = arp_record(rec, 2, f + 6, mac, ip, f + 22, f + 28);
          if (write_all(fd, rec, (size_t)m) == 0) answered++;
        }
      } else other++;
      at += 2 + len;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
  printf("{\"mode\":\"h2d-received\",\"frames\":%lu,\"bytes\":%llu,\"seconds\":%.3f,\"misrouted\":%lu,\"wrongMac\":%lu,\"arp\":%lu,\"arpAnswered\":%lu,\"other\":%lu}\n",
         frames, bytes, t0 ? now() - t0 : 0, misrouted, wrong_mac, arp, answered, other);
  return 0;
}

enum { MAX_SOURCES = 16 };

static int sink(int port, double seconds) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int rcv = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("multi_pump: bind"); return 1; }
  enum { VLEN = 64 };
  static uint8_t bufs[VLEN][2048];
  static struct sockaddr_in from[VLEN];
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  uint32_t source[MAX_SOURCES];
  unsigned long per_source[MAX_SOURCES] = {0};
  int sources = 0;
  unsigned long frames = 0;
  unsigned long long bytes = 0;
  double t0 = 0;
  for (;;) {
    if (!readable_in_time(fd, t0, seconds)) break;
    for (int i = 0; i < VLEN; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs, VLEN, MSG_DONTWAIT, NULL);
    if (n <= 0) continue;
    if (t0 == 0) t0 = now();
    for (int i = 0; i < n; i++) {
      frames++;
      bytes += msgs[i].msg_len;
      uint32_t a = from[i].sin_addr.s_addr;
      int s = 0;
      while (s < sources && source[s] != a) s++;
      if (s == sources && sources < MAX_SOURCES) source[sources++] = a;
      if (s < MAX_SOURCES) per_source[s]++;
    }
  }
  printf("{\"mode\":\"sink\",\"frames\":%lu,\"bytes\":%llu,\"seconds\":%.3f,\"from\":{", frames, bytes, t0 ? now() - t0 : 0);
  for (int s = 0; s < sources; s++) {
    char text[INET_ADDRSTRLEN];
    struct in_addr a = {.s_addr = source[s]};
    printf("%s\"%s\":%lu", s ? "," : "", inet_ntop(AF_INET, &a, text, sizeof text), per_source[s]);
  }
  printf("}}\n");
  return 0;
}

static int blast(int port, int size, double seconds, int count, char **dsts) {
  if (size < 28 || size > 1500) die("SIZE is 28..1500 bytes of IP");
  if (count > MAX_SOURCES) die("too many destinations");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa[MAX_SOURCES];
  unsigned long to[MAX_SOURCES] = {0};
  for (int d = 0; d < count; d++) {
    sa[d] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    parse_ip(dsts[d], (uint8_t *)&sa[d].sin_addr);
  }
  static uint8_t payload[1500];
  int plen = size - 28;
  unsigned long frames = 0;
  double t0 = now();
  for (int d = 0; !stopping && now() - t0 < seconds;) {
    for (int i = 0; i < 64; i++, d = (d + 1) % count) {
      if (sendto(fd, payload, (size_t)plen, 0, (struct sockaddr *)&sa[d], sizeof sa[d]) == plen) { frames++; to[d]++; }
    }
  }
  printf("{\"mode\":\"blast-sent\",\"frames\":%lu,\"bytes\":%llu,\"seconds\":%.3f,\"to\":{", frames, (unsigned long long)frames * size, now() - t0);
  for (int d = 0; d < count; d++) printf("%s\"%s\":%lu", d ? "," : "", dsts[d], to[d]);
  printf("}}\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction term = {.sa_handler = on_term}; /* no SA_RESTART: a blocked write returns */
  sigaction(SIGTERM, &term, NULL);
  uint8_t ip[4], mac[6];
  if (argc == 7 && !strcmp(argv[1], "d2h")) {
    parse_ip(argv[3], ip);
    parse_mac(argv[4], mac);
    return d2h(argv[2], ip, mac, atoi(argv[5]), atof(argv[6]));
  }
  if (argc == 6 && !strcmp(argv[1], "h2d")) {
    parse_ip(argv[3], ip);
    parse_mac(argv[4], mac);
    return h2d(argv[2], ip, mac, atof(argv[5]));
  }
  if (argc == 4 && !strcmp(argv[1], "sink")) return sink(atoi(argv[2]), atof(argv[3]));
  if (argc >= 6 && !strcmp(argv[1], "blast")) return blast(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), argc - 5, argv + 5);
  fprintf(stderr, "usage: see the comment at the top of multi_pump.c\n");
  return 2;
}
