/* bare_read: the ceiling for `make bench`. Reads a capture with a bare
 * pcap_next_ex loop and touches each packet's first cache line (two loads),
 * nothing else, so the sensor's figures can be printed as a ratio of what
 * libpcap alone achieves on this machine in the same run. Prints one line:
 *   packets=N bytes=N seconds=S
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *d;
    struct timespec t0, t1;
    unsigned long long pkts = 0, bytes = 0;
    volatile unsigned sink = 0;
    unsigned acc = 0;
    int rc;
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "bare_read: %s: %s\n", argv[1], err);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        if (h->caplen > 0)
            acc += d[0] + d[h->caplen > 63 ? 63 : h->caplen - 1];
        pkts++;
        bytes += h->len;
    }
    sink = acc;
    (void)sink;
    if (rc == -1)
        fprintf(stderr, "bare_read: %s: %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("packets=%llu bytes=%llu seconds=%.6f\n", pkts, bytes,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc == -1 ? 1 : 0;
}
