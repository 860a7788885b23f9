/* dfprobe: the harness's packet probe, built static and copied into the test image.
 * Exit 0 = reached (a reply came back), 1 = not reached (refused, dropped, timed out), 2 = usage or
 * local error. Every client waits at most --timeout ms (default 2000).
 *   dfprobe tcp DST PORT [--src ADDR] [--timeout MS]   connect, send an HTTP request, need >= 1 byte back
 *   dfprobe udp DST PORT [--src ADDR] [--timeout MS]   send a datagram, need the same datagram back
 *   dfprobe udp-echo PORT [--bind ADDR]                 echo every datagram to its sender, forever
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct addr { struct sockaddr_storage ss; socklen_t len; int family; };

static int parse_addr(const char *text, int port, struct addr *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET; v4->sin_port = htons(port);
    out->len = sizeof *v4; out->family = AF_INET; return 0;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6; v6->sin6_port = htons(port);
    out->len = sizeof *v6; out->family = AF_INET6; return 0;
  }
  return -1;
}

static long now_ms(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int wait_for(int fd, short events, long deadline) {
  for (;;) {
    long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = { .fd = fd, .events = events };
    int n = poll(&p, 1, (int)left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    return p.revents;
  }
}

static int open_socket(int type, const struct addr *dst, const char *src) {
  int fd = socket(dst->family, type, 0);
  if (fd < 0) { perror("socket"); exit(2); }
  if (src) {
    struct addr local;
    if (parse_addr(src, 0, &local) != 0 || local.family != dst->family) { fprintf(stderr, "bad --src %s\n", src); exit(2); }
    if (bind(fd, (struct sockaddr *)&local.ss, local.len) != 0) { perror("bind --src"); exit(2); }
  }
  return fd;
}

static int probe_tcp(const struct addr *dst, const char *src, long deadline) {
  int fd = open_socket(SOCK_STREAM, dst, src);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  if (connect(fd, (struct sockaddr *)&dst->ss, dst->len) != 0 && errno != EINPROGRESS) return 1;
  if (wait_for(fd, POLLOUT, deadline) <= 0) return 1;
  int err = 0; socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return 1;
  const char request[] = "GET /x HTTP/1.0\r\n\r\n";
  if (send(fd, request, sizeof request - 1, MSG_NOSIGNAL) < 0) return 1;
  char buf[256];
  for (;;) {
    int r = wait_for(fd, POLLIN, deadline);
    if (r <= 0) return 1;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) { fwrite(buf, 1, (size_t)n, stdout); return 0; }
    if (n == 0) return 1;
    if (errno != EAGAIN && errno != EINTR) return 1;
  }
}

static int probe_udp(const struct addr *dst, const char *src, long timeout, long deadline) {
  int fd = open_socket(SOCK_DGRAM, dst, src);
  if (connect(fd, (struct sockaddr *)&dst->ss, dst->len) != 0) return 1;
  char payload[64], buf[256];
  int size = snprintf(payload, sizeof payload, "dfprobe %ld %d", now_ms(), (int)getpid());
  long next_send = 0;
  for (;;) {
    long t = now_ms();
    if (t >= deadline) return 1;
    if (t >= next_send) { /* resend a few times: the first datagram may wait on ARP */
      if (send(fd, payload, (size_t)size, 0) < 0 && errno == ECONNREFUSED) return 1;
      next_send = t + timeout / 4;
    }
    long until = next_send < deadline ? next_send : deadline;
    int r = wait_for(fd, POLLIN, until);
    if (r < 0) return 1;
    if (r == 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == ECONNREFUSED) return 1; /* ICMP port unreachable */
    if (n == size && memcmp(buf, payload, (size_t)size) == 0) { puts("echo"); return 0; }
  }
}

/* One echo socket. Replies leave from the address the datagram was sent to (IP_PKTINFO /
 * IPV6_RECVPKTINFO): on a host with several addresses a connected client accepts nothing else. */
static int echo_socket(int family, int port, const char *bind_to) {
  struct addr local;
  if (parse_addr(bind_to ? bind_to : (family == AF_INET ? "0.0.0.0" : "::"), port, &local) != 0) return -1;
  int fd = socket(family, SOCK_DGRAM, 0), on = 1;
  if (fd < 0) return -1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (family == AF_INET) setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  else setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
  if (bind(fd, (struct sockaddr *)&local.ss, local.len) != 0) { close(fd); return -1; }
  return fd;
}

static void echo_one(int fd) {
  char buf[2048], control[256];
  struct sockaddr_storage peer;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control, .msg_controllen = sizeof control };
  ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) return;
  iov.iov_len = (size_t)n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo *info = (struct in_pktinfo *)CMSG_DATA(c);
      info->ipi_spec_dst = info->ipi_addr; info->ipi_ifindex = 0;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex = 0;
    }
  }
  sendmsg(fd, &msg, 0);
}

static int udp_echo(int port, const char *bind_to) {
  struct pollfd fds[2];
  int count = 0;
  struct addr wanted;
  if (bind_to && parse_addr(bind_to, port, &wanted) != 0) { fprintf(stderr, "bad --bind %s\n", bind_to); return 2; }
  int families[2] = { AF_INET, AF_INET6 };
  for (int i = 0; i < 2; i++) {
    if (bind_to && wanted.family != families[i]) continue;
    int fd = echo_socket(families[i], port, bind_to);
    if (fd >= 0) fds[count++] = (struct pollfd){ .fd = fd, .events = POLLIN };
  }
  if (count == 0) { perror("udp-echo bind"); return 2; }
  for (;;) {
    if (poll(fds, (nfds_t)count, -1) < 0) continue;
    for (int i = 0; i < count; i++) if (fds[i].revents & POLLIN) echo_one(fds[i].fd);
  }
}

static int usage(void) {
  fputs("usage: dfprobe tcp|udp DST PORT [--src ADDR] [--timeout MS] | dfprobe udp-echo PORT [--bind ADDR]\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  const char *mode = argv[1], *src = NULL, *bind_to = NULL;
  long timeout = 2000;
  int positional = strcmp(mode, "udp-echo") == 0 ? 1 : 2;
  if (argc < 2 + positional) return usage();
  for (int i = 2 + positional; i < argc; i++) {
    if (i + 1 >= argc) return usage();
    if (strcmp(argv[i], "--src") == 0) src = argv[++i];
    else if (strcmp(argv[i], "--bind") == 0) bind_to = argv[++i];
    else if (strcmp(argv[i], "--timeout") == 0) timeout = atol(argv[++i]);
    else return usage();
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  if (strcmp(mode, "udp-echo") == 0) return udp_echo(atoi(argv[2]), bind_to);
  struct addr dst;
  int port = atoi(argv[3]);
  if (port <= 0 || port > 65535 || parse_addr(argv[2], port, &dst) != 0 || timeout <= 0) return usage();
  long deadline = now_ms() + timeout;
  if (strcmp(mode, "tcp") == 0) return probe_tcp(&dst, src, deadline);
  if (strcmp(mode, "udp") == 0) return probe_udp(&dst, src, timeout, deadline);
  return usage();
}
