/* udp-blast: the data-plane bench's small-packet source and sinks. A flow that is never answered
 * stays conntrack state NEW, so every packet walks the whole forward ruleset; with --handshake the
 * flow is ESTABLISHED and takes the first `ct state established` rule, like most real traffic.
 *   udp-blast send DST PORT SIZE SECONDS [--handshake]
 *       send SIZE-byte datagrams as fast as possible (sendmmsg, batches of 64); prints
 *       "sent <datagrams> <seconds> <cpu-seconds>". The CPU time (user + system, tick-sampled)
 *       includes the softirq work the kernel does in this process's context: forwarding through
 *       the router namespace and delivery, since veths hand packets on within the same CPU. --handshake: first send one datagram and wait (2 s at most) for a
 *       reply, so conntrack sees both directions and the flow is ESTABLISHED; exit 1 without one.
 *   udp-blast sink PORT [--reply]
 *       bind PORT with a minimal receive buffer. Plain: never read (no ICMP port-unreachable goes
 *       back; what does not fit is dropped quietly). --reply: answer the first datagram of each new sender once (polling every
 *       50 ms; the buffer stays minimal, so a blast is dropped as quietly as at a plain sink).
 *       Prints "ready" once bound; runs until killed.
 * Exit 0 ok, 1 no handshake reply, 2 usage or local error. Sends only to the given address. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_mode(const char *dst, int port, int size, double seconds, int handshake) {
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, dst, &to.sin_addr) != 1 || size < 1 || size > 1472 || seconds <= 0) {
    fprintf(stderr, "udp-blast: bad address, size (1..1472) or seconds\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    perror("udp-blast: socket/connect");
    return 2;
  }
  static char payload[1472];
  memset(payload, 'x', sizeof payload);
  if (handshake) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char reply[64];
    int answered = 0;
    for (int attempt = 0; attempt < 4 && !answered; attempt++) {
      answered = send(fd, payload, (size_t)size, 0) >= 0 && poll(&pfd, 1, 500) == 1 && recv(fd, reply, sizeof reply, 0) >= 0;
    }
    if (!answered) {
      fprintf(stderr, "udp-blast: no handshake reply from %s:%d\n", dst, port);
      return 1;
    }
  }
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0;
  double start = now(), end = start + seconds, t = start;
  while (t < end) {
    int n = sendmmsg(fd, msgs, BATCH, 0);
    if (n > 0) sent += (unsigned long long)n;
    else if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
      perror("udp-blast: sendmmsg");
      return 2;
    }
    t = now();
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("sent %llu %.6f %.6f\n", sent, t - start, cpu);
  return 0;
}

/* Answers the first datagram of each new sender (address and port) once. Reads only one batch
 * every 50 ms, so a blast costs this process almost nothing: what does not fit in the minimal
 * buffer is dropped by the kernel, exactly as at the silent sink. */
static void reply_loop(int fd) {
  static char bufs[BATCH][64];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  struct mmsghdr msgs[BATCH];
  struct sockaddr_in last;
  memset(&last, 0, sizeof last);
  for (;;) {
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
      if (from[i].sin_addr.s_addr == last.sin_addr.s_addr && from[i].sin_port == last.sin_port) continue;
      last = from[i];
      sendto(fd, "ok", 2, 0, (struct sockaddr *)&from[i], sizeof from[i]);
    }
    usleep(50000);
  }
}

static int sink_mode(int port, int reply) {
  struct sockaddr_in at;
  memset(&at, 0, sizeof at);
  at.sin_family = AF_INET;
  at.sin_port = htons((unsigned short)port);
  at.sin_addr.s_addr = htonl(INADDR_ANY);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int small = 1; /* the kernel rounds it up to its minimum */
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) != 0 || bind(fd, (struct sockaddr *)&at, sizeof at) != 0) {
    perror("udp-blast: sink socket/bind");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  if (reply) reply_loop(fd);
  for (;;) pause();
}

int main(int argc, char **argv) {
  int flag = argc > 1 && strncmp(argv[argc - 1], "--", 2) == 0;
  int n = argc - flag;
  if (flag && strcmp(argv[argc - 1], strcmp(argv[1], "send") == 0 ? "--handshake" : "--reply") != 0) n = -1;
  if (n == 6 && strcmp(argv[1], "send") == 0) return send_mode(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]), flag);
  if (n == 3 && strcmp(argv[1], "sink") == 0) return sink_mode(atoi(argv[2]), flag);
  fprintf(stderr, "usage: udp-blast send DST PORT SIZE SECONDS [--handshake] | udp-blast sink PORT [--reply]\n");
  return 2;
}
