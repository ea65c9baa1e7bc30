// handshake: the floor under `conference-hub bench connect` on this machine. Full TLS 1.3
// handshakes between an OpenSSL client and server in one thread, over memory BIOs, with the
// hub's settings: its certificate (P-256 ECDSA, leaf only, as `serve` sends it), X25519, no
// session tickets or resumption; the client verifies the chain and the host name, as the load
// generator does. No sockets, no WebSocket, no JSON: only the library's work for both ends of
// each handshake. Prints the CPU time per handshake for the client side, the server side and
// both, so that 2 cores / (both sides) is the most connections per second this OpenSSL allows
// when the hub and its load generator share the machine.
//
//   cc -O2 -o handshake handshake.c -lssl -lcrypto
//   ./handshake DATA_DIR/tls [handshakes]      # server.pem (leaf first), server-key.pem, ca.pem
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "handshake: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

// Moves what one side wrote to the other side's input.
static void pump(BIO *from, BIO *to) {
    char buffer[16384];
    int n;
    while ((n = BIO_read(from, buffer, sizeof buffer)) > 0) {
        if (BIO_write(to, buffer, n) != n) fail("BIO_write");
    }
}

// One step of a handshake: 1 when done, 0 when it waits for the peer.
static int step(SSL *ssl, double *spent) {
    double start = now();
    int result = SSL_do_handshake(ssl);
    *spent += now() - start;
    if (result == 1) return 1;
    if (SSL_get_error(ssl, result) != SSL_ERROR_WANT_READ) fail("handshake failed");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TLS_DIR [handshakes]\n", argv[0]);
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 3000;
    char path[1024];

    SSL_CTX *server = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(server, TLS1_3_VERSION);
    // The leaf alone, as the hub sends it (SSL_MODE_NO_AUTO_CHAIN, no self-signed root).
    snprintf(path, sizeof path, "%s/server.pem", argv[1]);
    FILE *file = fopen(path, "r");
    if (!file) fail("cannot open server.pem");
    X509 *leaf = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    if (!leaf || SSL_CTX_use_certificate(server, leaf) != 1) fail("server certificate");
    snprintf(path, sizeof path, "%s/server-key.pem", argv[1]);
    if (SSL_CTX_use_PrivateKey_file(server, path, SSL_FILETYPE_PEM) != 1) fail("server key");
    SSL_CTX_set_mode(server, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_num_tickets(server, 0);
    SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set1_groups_list(server, "X25519:P-256:P-384");

    SSL_CTX *client = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(client, TLS1_3_VERSION);
    snprintf(path, sizeof path, "%s/ca.pem", argv[1]);
    if (SSL_CTX_load_verify_locations(client, path, NULL) != 1) fail("ca.pem");
    SSL_CTX_set_verify(client, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(client, SSL_SESS_CACHE_OFF);
    SSL_CTX_set1_groups_list(client, "X25519:P-256:P-384");

    double clientTime = 0, serverTime = 0;
    for (int i = 0; i < count; i++) {
        double start = now();
        SSL *s = SSL_new(server), *c = SSL_new(client);
        BIO *sIn = BIO_new(BIO_s_mem()), *sOut = BIO_new(BIO_s_mem());
        BIO *cIn = BIO_new(BIO_s_mem()), *cOut = BIO_new(BIO_s_mem());
        SSL_set_bio(s, sIn, sOut);
        SSL_set_bio(c, cIn, cOut);
        SSL_set_accept_state(s);
        SSL_set_connect_state(c);
        if (SSL_set1_host(c, "localhost") != 1 || SSL_set_tlsext_host_name(c, "localhost") != 1) fail("host name");
        double setup = now() - start;
        clientTime += setup / 2;
        serverTime += setup / 2;
        int clientDone = 0, serverDone = 0;
        for (int round = 0; round < 8 && !(clientDone && serverDone); round++) {
            if (!clientDone) clientDone = step(c, &clientTime);
            pump(cOut, sIn);
            if (!serverDone) serverDone = step(s, &serverTime);
            pump(sOut, cIn);
        }
        if (!(clientDone && serverDone)) fail("the handshake did not finish");
        if (SSL_version(c) != TLS1_3_VERSION || SSL_session_reused(c)) fail("not a full TLS 1.3 handshake");
        if (SSL_get_verify_result(c) != X509_V_OK) fail("the client did not verify the server");
        start = now();
        SSL_free(s);
        SSL_free(c);
        double teardown = now() - start;
        clientTime += teardown / 2;
        serverTime += teardown / 2;
    }
    double both = clientTime + serverTime;
    printf("%d full TLS 1.3 handshakes (%s)\n", count, OpenSSL_version(OPENSSL_VERSION));
    printf("CPU per handshake: client %.0f us, server %.0f us, both %.0f us\n",
           clientTime * 1e6 / count, serverTime * 1e6 / count, both * 1e6 / count);
    printf("at most %.0f handshakes/s on 2 cores, both ends on the same machine\n", 2 * count / both);
    return 0;
}
