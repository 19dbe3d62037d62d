/*
 * LD_PRELOAD shim for the local console: every socket bound to "any address" is bound to loopback instead.
 * local-slack (a prebuilt binary) listens on every interface and has no option to choose; the console's Slack
 * lets anyone who can reach it "act as" the approver, so it must be reachable from this machine only. IPv4
 * 0.0.0.0 becomes 127.0.0.1, IPv6 :: becomes ::ffff:127.0.0.1 (IPv4 loopback, still dual-stack for 127.0.0.1).
 * Built by dev/console/loopback-bind.ts with the system C compiler, like scripts/clickhouse/launcher.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn real = 0;
  if (!real) real = (bind_fn)dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in a;
    memcpy(&a, addr, sizeof a);
    if (a.sin_addr.s_addr == htonl(INADDR_ANY)) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return real(fd, (const struct sockaddr *)&a, sizeof a);
  }
  if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 a;
    memcpy(&a, addr, sizeof a);
    if (memcmp(&a.sin6_addr, &in6addr_any, sizeof a.sin6_addr) == 0) {
      /* IPv4 loopback as a mapped address: 127.0.0.1 clients connect, nothing outside can. */
      static const unsigned char mapped[16] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff,127,0,0,1};
      memcpy(&a.sin6_addr, mapped, 16);
    }
    return real(fd, (const struct sockaddr *)&a, sizeof a);
  }
  return real(fd, addr, len);
}
