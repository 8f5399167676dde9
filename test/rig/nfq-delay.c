/*
 * Holds every packet of an NFQUEUE queue for a fixed delay, then accepts it, in
 * arrival order: a one-way delay on a router where this kernel has no netem.
 *   nfq-delay QUEUE_NUM DELAY_MS
 * (iptables ... -j NFQUEUE --queue-num N --queue-bypass). Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 65536

static struct { uint32_t id; uint64_t due; } ring[RING];
static size_t head, tail;
static uint64_t delay_ns;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if ((tail + 1) % RING == head) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL); /* full: no delay */
  ring[tail].id = id;
  ring[tail].due = now_ns() + delay_ns;
  tail = (tail + 1) % RING;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS\n", argv[0]); return 2; }
  int qnum = atoi(argv[1]);
  delay_ns = (uint64_t)atoi(argv[2]) * 1000000ull;
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)qnum, on_packet, NULL);
  if (!qh) { perror("nfq_create_queue"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, RING - 1);
  int fd = nfq_fd(h);
  char buf[65536] __attribute__((aligned));
  fprintf(stdout, "ready\n");
  fflush(stdout);
  for (;;) {
    int timeout = -1;
    if (head != tail) {
      uint64_t n = now_ns();
      while (head != tail && ring[head].due <= n) {
        nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL);
        head = (head + 1) % RING;
      }
      if (head != tail) timeout = (int)((ring[head].due - n) / 1000000ull) + 1;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout);
    if (r < 0 && errno != EINTR) { perror("poll"); return 1; }
    if (r > 0) {
      int n = (int)recv(fd, buf, sizeof(buf), 0);
      if (n >= 0) nfq_handle_packet(h, buf, n);
    }
  }
}
