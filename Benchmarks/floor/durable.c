// durable: the floor under `conference-hub bench durable` on this machine. The hub's writer
// thread, alone: the same tables (rooms, room_events, post_keys), the same settings (WAL,
// synchronous=FULL, 8,192-page autocheckpoint, 32 MB cache, foreign keys) and, per post, the
// same statements the hub runs (a savepoint, the idempotency look-up, the event insert, the
// room's last sequence, the key insert, the release), committed in transactions of one post per
// room, as 100 publishers that each wait for their acknowledgement arrive at the writer. No
// network, no TLS, no JSON encoding, no Swift: only SQLite and the file system. Prints posts per
// second, the thread's CPU per post (user and system) and the bytes written per post, so that
// 1e6 / (CPU per post) is the most posts per second one SQLite writer allows here.
//
// LAYOUT is the room event table's: `rowid` (the hub's since schema version 7: rows in write
// order, a unique index on room and sequence) or `clustered` (before: WITHOUT ROWID, keyed by room
// and sequence). `nokey` is `rowid` without the insert of the idempotency key; `events` writes
// only the event row of each post (rowid layout), no key, no look-up, no room update, no
// savepoint: the least a durable post can cost here.
//
//   cc -O2 -o durable durable.c -lsqlite3
//   ./durable DIRECTORY [rooms] [posts] [rowid|clustered|nokey|events]   # DIRECTORY: an empty scratch directory
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

static void fail(const char *what) {
    fprintf(stderr, "durable: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "durable: %s: %s\n", sql, message);
        exit(1);
    }
}

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) fail(sql);
    return statement;
}

static void finish(sqlite3_stmt *statement, int expected) {
    if (sqlite3_step(statement) != expected) fail(sqlite3_sql(statement));
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// Bytes this process has caused to be written to storage (/proc/self/io write_bytes).
static long long writtenBytes(void) {
    FILE *file = fopen("/proc/self/io", "r");
    char line[256];
    long long value = 0;
    while (file && fgets(line, sizeof line, file)) {
        if (strncmp(line, "write_bytes:", 12) == 0) value = atoll(line + 12);
    }
    if (file) fclose(file);
    return value;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: durable DIRECTORY [rooms] [posts] [rowid|clustered|nokey|events]\n");
        return 2;
    }
    int rooms = argc > 2 ? atoi(argv[2]) : 100;
    int posts = argc > 3 ? atoi(argv[3]) : 100000;
    const char *layout = argc > 4 ? argv[4] : "rowid";
    int clustered = strcmp(layout, "clustered") == 0, eventsOnly = strcmp(layout, "events") == 0;
    int noKey = strcmp(layout, "nokey") == 0;
    if (!clustered && !eventsOnly && !noKey && strcmp(layout, "rowid") != 0) fail("LAYOUT is rowid, clustered, nokey or events");
    if (rooms < 1 || posts < rooms) fail("rooms >= 1 and posts >= rooms");
    char path[4096];
    snprintf(path, sizeof path, "%s/durable-floor.sqlite", argv[1]);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) fail("open");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA wal_autocheckpoint=8192");
    exec("PRAGMA journal_size_limit=67108864");
    exec("PRAGMA cache_size=-32768");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    exec("CREATE TABLE rooms (id TEXT PRIMARY KEY NOT NULL, epoch TEXT NOT NULL, created_at INTEGER NOT NULL,"
         " last_seq INTEGER NOT NULL DEFAULT 0) STRICT;");
    if (clustered) {
        exec("CREATE TABLE room_events (room_id TEXT NOT NULL REFERENCES rooms(id), seq INTEGER NOT NULL, kind TEXT NOT NULL,"
             " at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (room_id, seq)) STRICT, WITHOUT ROWID;");
    } else {
        exec("CREATE TABLE room_events (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL REFERENCES rooms(id), seq INTEGER NOT NULL,"
             " kind TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL) STRICT;"
             "CREATE UNIQUE INDEX room_events_by_room ON room_events(room_id, seq);");
    }
    exec("CREATE TABLE post_keys (person_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, room_id TEXT NOT NULL,"
         " seq INTEGER NOT NULL, PRIMARY KEY (person_id, idempotency_key)) STRICT, WITHOUT ROWID;");

    char text[257];
    memset(text, 'x', 256);
    text[256] = 0;
    const char *epoch = "6f1c2a9e-2b7d-4a51-9a53-0c4f3f0e9b21";
    sqlite3_stmt *insertRoom = prepare("INSERT INTO rooms (id, epoch, created_at, last_seq) VALUES (?, ?, 0, 0)");
    for (int room = 0; room < rooms; room++) {
        char id[32];
        snprintf(id, sizeof id, "case-%d", room + 1);
        sqlite3_bind_text(insertRoom, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insertRoom, 2, epoch, -1, SQLITE_STATIC);
        finish(insertRoom, SQLITE_DONE);
    }

    sqlite3_stmt *begin = prepare("BEGIN IMMEDIATE"), *commit = prepare("COMMIT");
    sqlite3_stmt *savepoint = prepare("SAVEPOINT job"), *release = prepare("RELEASE job");
    sqlite3_stmt *lookup = prepare(
        "SELECT k.room_id, k.seq, r.epoch, e.at FROM post_keys k JOIN rooms r ON r.id = k.room_id"
        " JOIN room_events e ON e.room_id = k.room_id AND e.seq = k.seq WHERE k.person_id = ? AND k.idempotency_key = ?");
    sqlite3_stmt *insertEvent = prepare("INSERT INTO room_events (room_id, seq, kind, at, body) VALUES (?, ?, ?, ?, ?)");
    sqlite3_stmt *updateRoom = prepare("UPDATE rooms SET last_seq = ? WHERE id = ?");
    sqlite3_stmt *insertKey = prepare("INSERT INTO post_keys (person_id, idempotency_key, room_id, seq) VALUES (?, ?, ?, ?)");

    long long bytesBefore = writtenBytes();
    double wallStart = seconds(CLOCK_MONOTONIC), cpuStart = seconds(CLOCK_THREAD_CPUTIME_ID);
    int batches = posts / rooms;
    long long at = 1795000000000LL;
    char body[1024], key[64], id[32];
    for (int batch = 0; batch < batches; batch++) {
        finish(begin, SQLITE_DONE);
        for (int room = 0; room < rooms; room++) {
            int seq = batch + 1;
            snprintf(id, sizeof id, "case-%d", room + 1);
            snprintf(key, sizeof key, "k3x9q-%d-%d", room, batch);
            int length = snprintf(body, sizeof body,
                "{\"type\":\"event\",\"room\":\"%s\",\"seq\":%d,\"epoch\":\"%s\",\"at\":\"2026-11-22T02:30:45.937Z\","
                "\"kind\":\"message\",\"from\":{\"person\":\"bench\",\"unit\":\"bench\"},\"text\":\"%s\"}",
                id, seq, epoch, text);
            at++;
            if (!eventsOnly) {
                finish(savepoint, SQLITE_DONE);
                sqlite3_bind_text(lookup, 1, "bench", -1, SQLITE_STATIC);
                sqlite3_bind_text(lookup, 2, key, -1, SQLITE_STATIC);
                finish(lookup, SQLITE_DONE);  // a new key: no row
            }
            sqlite3_bind_text(insertEvent, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(insertEvent, 2, seq);
            sqlite3_bind_text(insertEvent, 3, "message", -1, SQLITE_STATIC);
            sqlite3_bind_int64(insertEvent, 4, at);
            sqlite3_bind_text(insertEvent, 5, body, length, SQLITE_STATIC);
            finish(insertEvent, SQLITE_DONE);
            if (eventsOnly) continue;
            sqlite3_bind_int64(updateRoom, 1, seq);
            sqlite3_bind_text(updateRoom, 2, id, -1, SQLITE_STATIC);
            finish(updateRoom, SQLITE_DONE);
            sqlite3_bind_text(insertKey, 1, "bench", -1, SQLITE_STATIC);
            sqlite3_bind_text(insertKey, 2, key, -1, SQLITE_STATIC);
            sqlite3_bind_text(insertKey, 3, id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(insertKey, 4, seq);
            if (!noKey) finish(insertKey, SQLITE_DONE);
            finish(release, SQLITE_DONE);
        }
        finish(commit, SQLITE_DONE);
    }
    double wall = seconds(CLOCK_MONOTONIC) - wallStart, cpu = seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    long long done = (long long)batches * rooms;
    printf("%lld posts in %d transactions of %d, layout %s: %.0f posts/s; CPU %.1f us per post"
           " (at most %.0f posts/s for one writer); %.1f KB written per post\n",
           done, batches, rooms, layout, done / wall, cpu * 1e6 / done, done / cpu,
           (writtenBytes() - bytesBefore) / 1024.0 / done);
    sqlite3_close(db);
    return 0;
}
