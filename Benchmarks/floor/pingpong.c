// pingpong: the floor under `conference-hub bench durable` on this machine. N loopback TCP
// connections, each carrying one request at a time: the client sends SIZE bytes, the server
// echoes them, the client sends again on the echo. No TLS, no WebSocket, no JSON, no disk:
// only the kernel's loopback TCP and epoll, with S server and C client threads, as the hub and
// the load generator use. Prints round trips per second.
//
//   cc -O2 -pthread -o pingpong pingpong.c && ./pingpong [connections] [size] [seconds] [server-threads] [client-threads]
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int size = 300;
static atomic_long roundTrips;
static atomic_int stop;

struct worker { int epoll; int client; };

static void *run(void *argument) {
    struct worker *worker = argument;
    char *buffer = malloc(65536);
    memset(buffer, 'x', 65536);
    struct epoll_event events[256];
    while (!atomic_load(&stop)) {
        int ready = epoll_wait(worker->epoll, events, 256, 100);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            ssize_t got = read(fd, buffer, 65536);
            if (got <= 0) continue;
            if (worker->client) {
                // One request in flight per connection: a whole echo means send the next.
                atomic_fetch_add(&roundTrips, 1);
                if (write(fd, buffer, size) != size) { perror("write"); exit(1); }
            } else if (write(fd, buffer, got) != got) { perror("write"); exit(1); }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int connections = argc > 1 ? atoi(argv[1]) : 100;
    size = argc > 2 ? atoi(argv[2]) : 300;
    int seconds = argc > 3 ? atoi(argv[3]) : 5;
    int serverThreads = argc > 4 ? atoi(argv[4]) : 2;
    int clientThreads = argc > 5 ? atoi(argv[5]) : 2;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0 };
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096) ||
        getsockname(listener, (struct sockaddr *)&address, &length)) { perror("listen"); return 1; }

    struct worker workers[64];
    int threads = serverThreads + clientThreads;
    for (int i = 0; i < threads; i++) { workers[i].epoll = epoll_create1(0); workers[i].client = i >= serverThreads; }
    int one = 1;
    int *clients = calloc(connections, sizeof(int));
    for (int i = 0; i < connections; i++) {
        int client = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(client, (struct sockaddr *)&address, sizeof address)) { perror("connect"); return 1; }
        int server = accept(listener, NULL, NULL);
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event event = { .events = EPOLLIN };
        event.data.fd = server;
        epoll_ctl(workers[i % serverThreads].epoll, EPOLL_CTL_ADD, server, &event);
        event.data.fd = client;
        epoll_ctl(workers[serverThreads + i % clientThreads].epoll, EPOLL_CTL_ADD, client, &event);
        clients[i] = client;
    }
    pthread_t ids[64];
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, run, &workers[i]);
    char *request = malloc(size);
    memset(request, 'x', size);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < connections; i++) if (write(clients[i], request, size) != size) { perror("write"); return 1; }
    sleep(seconds);
    long total = atomic_load(&roundTrips);
    clock_gettime(CLOCK_MONOTONIC, &end);
    atomic_store(&stop, 1);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    double elapsed = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%d connections, %d bytes, %d server + %d client threads: %.0f round trips/s\n",
           connections, size, serverThreads, clientThreads, total / elapsed);
    return 0;
}
