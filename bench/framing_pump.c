/*
 * framing_pump: the device end of a bench run in any framing tunscope speaks.
 * The host's UDP ends (sink, blast) are the shared reference pump's.
 *
 *   framing_pump d2h FRAMING SOCK SIZE SECONDS
 *       Listen on SOCK; once the bridge connects, write Ethernet/IPv4/UDP frames
 *       (02:00:00:00:00:01 <- device MAC, 192.168.100.2:9 -> 192.168.100.1:9999,
 *       SIZE bytes of IP) in FRAMING, as fast as the bridge takes them, for SECONDS.
 *   framing_pump h2d FRAMING SOCK SECONDS
 *       Listen on SOCK; count the records the bridge writes in FRAMING for
 *       SECONDS after the first byte arrives.
 *   framing_pump dump FRAMING SIZE COUNT
 *       Write COUNT d2h records to standard output (to check the encoding).
 *
 * FRAMING: esp32 (2-byte big-endian length + frame), qemu (4-byte big-endian
 * length + frame, QEMU -netdev stream) or slip (RFC 1055: END, the frame with
 * END and ESC escaped, END).
 *
 * The UDP payloads are pseudo-random bytes of which about 1 % are 0xC0 or
 * 0xDB, SLIP's END and ESC, so that SLIP escaping is exercised (the addresses
 * 192.168.x.x hold two 0xC0 of their own). Each run uses the same sequence.
 *
 * d2h and h2d print one JSON line: {"mode":..,"frames":..,"bytes":..,"seconds":..};
 * bytes are the records' bytes on the socket (prefixes, escapes and ENDs
 * included; a SLIP record counts the END before it and the END after it).
 * h2d also counts "bad" records: SLIP slots with a broken escape or shorter
 * than an Ethernet header, zero-length records for the length framings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { ESP32, QEMU, SLIP };
enum { END = 0xc0, ESC = 0xdb, ESC_END = 0xdc, ESC_ESC = 0xdd };
/* Records made up front and written round-robin; WRITE of them per write(). */
enum { RECORDS = 1024, WRITE = 64 };

static double clock_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int framing_of(const char *name) {
  if (!strcmp(name, "esp32")) return ESP32;
  if (!strcmp(name, "qemu")) return QEMU;
  if (!strcmp(name, "slip")) return SLIP;
  fprintf(stderr, "framing_pump: unknown framing %s (esp32, qemu, slip)\n", name);
  exit(2);
}

static int accept_bridge(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) { fprintf(stderr, "framing_pump: socket path too long\n"); exit(2); }
  strcpy(addr.sun_path, path);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(path);
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 1)) {
    perror("framing_pump: listen");
    exit(1);
  }
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) { perror("framing_pump: accept"); exit(1); }
  close(listener);
  return fd;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* One Ethernet/IPv4/UDP frame of 14 + size bytes into f; `seed` picks its payload. */
static void make_frame(uint8_t *f, int size, const char *device_mac, uint32_t *seed) {
  static const uint8_t gateway_mac[6] = {2, 0, 0, 0, 0, 1};
  static const uint8_t ip_header[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,
                                        192, 168, 100, 2, 192, 168, 100, 1};
  memcpy(f, gateway_mac, 6);
  memcpy(f + 6, device_mac, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  memcpy(ip, ip_header, 20);
  put16(ip + 2, (unsigned)size);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(ip + 10, ~sum & 0xffff);
  uint8_t *udp = ip + 20;
  put16(udp, 9);
  put16(udp + 2, 9999);
  put16(udp + 4, (unsigned)(size - 20));
  put16(udp + 6, 0); /* no UDP checksum */
  for (int i = 28; i < size; i++) {
    *seed = *seed * 1664525u + 1013904223u;
    uint32_t r = *seed >> 8;
    uint8_t b = (uint8_t)r;
    if (b == END || b == ESC) b ^= 1; /* these only as the 1 % below */
    ip[i] = r % 100 == 0 ? (r & 0x100 ? END : ESC) : b;
  }
}

/* The record carrying frame f (len bytes) in `framing`, written to out; returns its length. */
static size_t encode(int framing, const uint8_t *f, size_t len, uint8_t *out) {
  if (framing != SLIP) {
    size_t prefix = framing == QEMU ? 4 : 2;
    for (size_t i = 0; i < prefix; i++) out[i] = (uint8_t)(len >> (8 * (prefix - 1 - i)));
    memcpy(out + prefix, f, len);
    return prefix + len;
  }
  uint8_t *o = out;
  *o++ = END;
  for (size_t i = 0; i < len; i++) {
    if (f[i] == END) { *o++ = ESC; *o++ = ESC_END; }
    else if (f[i] == ESC) { *o++ = ESC; *o++ = ESC_ESC; }
    else *o++ = f[i];
  }
  *o++ = END;
  return (size_t)(o - out);
}

/* RECORDS records back to back in one buffer; start[i] is where record i begins. */
static uint8_t *make_records(int framing, int size, size_t *start) {
  uint8_t *buf = malloc((size_t)RECORDS * (2 * (14 + (size_t)size) + 2));
  /* each framing's usual peer: the ESP32 firmware's MAC, QEMU's first NIC, Zephyr's SLIP */
  const char *mac = framing == QEMU ? "\x52\x54\x00\x12\x34\x56" : framing == SLIP ? "\x00\x00\x5e\x00\x53\x01" : "\x02\x00\x00\x00\x00\x02";
  uint8_t frame[14 + 1500];
  uint32_t seed = 1;
  size_t at = 0;
  for (int i = 0; i < RECORDS; i++) {
    start[i] = at;
    make_frame(frame, size, mac, &seed);
    at += encode(framing, frame, 14 + (size_t)size, buf + at);
  }
  start[RECORDS] = at;
  return buf;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void report(const char *mode, unsigned long frames, unsigned long long bytes, double seconds, long bad) {
  printf("{\"mode\":\"%s\",\"frames\":%lu,\"bytes\":%llu,\"seconds\":%.3f", mode, frames, bytes, seconds);
  if (bad >= 0) printf(",\"bad\":%ld", bad);
  printf("}\n");
  fflush(stdout);
}

static int check_size(int size) {
  if (size >= 28 && size <= 1500) return 1;
  fprintf(stderr, "framing_pump: SIZE is 28..1500 bytes of IP\n");
  return 0;
}

static int d2h(int framing, const char *path, int size, double seconds) {
  if (!check_size(size)) return 2;
  static size_t start[RECORDS + 1];
  uint8_t *records = make_records(framing, size, start);
  int fd = accept_bridge(path);
  unsigned long frames = 0;
  unsigned long long bytes = 0;
  double t0 = clock_s();
  for (int i = 0; clock_s() - t0 < seconds; i = (i + WRITE) % RECORDS) {
    size_t n = start[i + WRITE] - start[i];
    if (write_all(fd, records + start[i], n)) break;
    frames += WRITE;
    bytes += n;
  }
  report("d2h-sent", frames, bytes, clock_s() - t0, -1);
  return 0;
}

static int dump(int framing, int size, long count) {
  if (!check_size(size)) return 2;
  static size_t start[RECORDS + 1];
  uint8_t *records = make_records(framing, size, start);
  for (long k = 0; k < count; k++) {
    int i = (int)(k % RECORDS);
    if (write_all(1, records + start[i], start[i + 1] - start[i])) return 1;
  }
  return 0;
}

/* Counts records as bytes arrive, whatever the chunking. */
struct counter {
  int framing;
  unsigned long frames;
  unsigned long long bytes;
  long bad;
  size_t wire;                         /* the open record's bytes on the wire (SLIP: escaped, no END) */
  size_t prefix_seen, remaining;       /* length framings */
  uint32_t length;
  size_t slot;                         /* SLIP: unescaped bytes in the open slot */
  int escaped, broken;
};

/* A SLIP slot ends at END: an empty one is a separator, anything else a record or bad. */
static void slip_close_slot(struct counter *c) {
  if (c->wire == 0) return;
  if (c->broken || c->escaped || c->slot < 14) c->bad++;
  else { c->frames++; c->bytes += c->wire + 2; } /* END before and after, as senders write it */
  c->slot = 0; c->wire = 0; c->escaped = 0; c->broken = 0;
}

static void count(struct counter *c, const uint8_t *p, size_t n) {
  if (c->framing == SLIP) {
    for (size_t i = 0; i < n; i++) {
      uint8_t b = p[i];
      if (b == END) { slip_close_slot(c); continue; }
      c->wire++;
      if (c->escaped) { c->escaped = 0; c->broken |= b != ESC_END && b != ESC_ESC; c->slot++; }
      else if (b == ESC) c->escaped = 1;
      else c->slot++;
    }
    return;
  }
  size_t prefix = c->framing == QEMU ? 4 : 2;
  for (size_t i = 0; i < n;) {
    if (c->prefix_seen < prefix) {
      c->length = c->length << 8 | p[i++];
      if (++c->prefix_seen == prefix) {
        c->remaining = c->length;
        c->wire = prefix + c->length;
        if (c->length == 0) { c->bad++; c->prefix_seen = 0; }
      }
      continue;
    }
    size_t take = n - i < c->remaining ? n - i : c->remaining;
    i += take;
    c->remaining -= take;
    if (c->remaining == 0) {
      c->frames++;
      c->bytes += c->wire;
      c->prefix_seen = 0;
      c->length = 0;
    }
  }
}

static int h2d(int framing, const char *path, double seconds) {
  int fd = accept_bridge(path);
  struct counter c = {.framing = framing};
  static uint8_t buf[1 << 16];
  double t0 = 0;
  for (;;) {
    int wait_ms = t0 == 0 ? 10000 : (int)((seconds - (clock_s() - t0)) * 1000);
    if (wait_ms <= 0) break;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0) break;
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) break;
    if (t0 == 0) t0 = clock_s();
    count(&c, buf, (size_t)r);
  }
  report("h2d-received", c.frames, c.bytes, t0 == 0 ? 0 : clock_s() - t0, c.bad);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "d2h")) return d2h(framing_of(argv[2]), argv[3], atoi(argv[4]), atof(argv[5]));
  if (argc == 5 && !strcmp(argv[1], "h2d")) return h2d(framing_of(argv[2]), argv[3], atof(argv[4]));
  if (argc == 5 && !strcmp(argv[1], "dump")) return dump(framing_of(argv[2]), atoi(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: see the comment at the top of framing_pump.c\n");
  return 2;
}
