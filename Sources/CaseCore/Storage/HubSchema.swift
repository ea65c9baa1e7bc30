// HubSchema: the hub database's migrations, oldest first. Never edit a released migration: add one.

/// The migrations of the hub database (`hub.sqlite` in the data directory).
public enum HubSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE hub_meta (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            """),
        Migration(version: 2, sql: """
            CREATE TABLE units (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                parent_id TEXT REFERENCES units(id)
            ) STRICT;
            CREATE TABLE people (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                unit_id TEXT NOT NULL REFERENCES units(id),
                roles TEXT NOT NULL
            ) STRICT;
            CREATE INDEX people_by_unit ON people(unit_id);

            -- The append-only history: the source of truth. `body` is the event's canonical JSON;
            -- `hash` = SHA-256(prev_hash || body), chained per case from 32 zero bytes.
            CREATE TABLE case_events (
                global_seq INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                type TEXT NOT NULL,
                actor_person TEXT NOT NULL,
                actor_unit TEXT NOT NULL,
                at INTEGER NOT NULL,
                body TEXT NOT NULL,
                prev_hash BLOB NOT NULL,
                hash BLOB NOT NULL,
                UNIQUE (case_id, seq)
            ) STRICT;
            CREATE INDEX case_events_by_type_time ON case_events(type, at);

            -- Projections, updated in the same transaction as each event; rebuildable from events.
            CREATE TABLE cases (
                id INTEGER PRIMARY KEY,
                status TEXT NOT NULL,
                category TEXT NOT NULL,
                lead_unit TEXT,
                responsible_leader TEXT,
                registered_at INTEGER NOT NULL,
                accepted_at INTEGER,
                answered_at INTEGER,
                closed_at INTEGER,
                handling_due_at INTEGER,
                satisfaction TEXT,
                rated_at INTEGER,
                last_seq INTEGER NOT NULL,
                last_hash BLOB NOT NULL,
                state TEXT NOT NULL
            ) STRICT;
            CREATE INDEX cases_by_status ON cases(status, id);
            CREATE INDEX cases_by_lead ON cases(lead_unit, status);
            CREATE INDEX cases_by_leader ON cases(responsible_leader) WHERE responsible_leader IS NOT NULL;
            CREATE INDEX cases_by_answered ON cases(answered_at) WHERE answered_at IS NOT NULL;
            CREATE INDEX cases_by_rated ON cases(rated_at) WHERE rated_at IS NOT NULL;

            CREATE TABLE case_units (
                unit_id TEXT NOT NULL REFERENCES units(id),
                relation TEXT NOT NULL CHECK (relation IN ('involved', 'lead', 'cohandling')),
                case_id INTEGER NOT NULL REFERENCES cases(id),
                PRIMARY KEY (unit_id, relation, case_id)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX case_units_by_case ON case_units(case_id);

            CREATE TABLE case_deadlines (
                case_id INTEGER NOT NULL REFERENCES cases(id),
                kind TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                due_at INTEGER NOT NULL,
                met_at INTEGER,
                reported_level INTEGER,
                PRIMARY KEY (case_id, kind)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX case_deadlines_running ON case_deadlines(due_at) WHERE met_at IS NULL;
            CREATE INDEX case_deadlines_by_due ON case_deadlines(due_at);

            -- Daily figures per unit ('*' = all units), maintained with each event (a projection).
            CREATE TABLE figures_daily (
                day INTEGER NOT NULL,            -- local day number (days since 1970-01-01)
                unit_id TEXT NOT NULL,
                answered INTEGER NOT NULL DEFAULT 0,
                handling_ms INTEGER NOT NULL DEFAULT 0,
                answered_on_time INTEGER NOT NULL DEFAULT 0,
                met_late INTEGER NOT NULL DEFAULT 0,
                rated INTEGER NOT NULL DEFAULT 0,
                satisfied INTEGER NOT NULL DEFAULT 0,
                escalated INTEGER NOT NULL DEFAULT 0,
                objections_raised INTEGER NOT NULL DEFAULT 0,
                objections_upheld INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (unit_id, day)
            ) STRICT, WITHOUT ROWID;

            -- Petitioner personal data, kept apart from the readable projection.
            CREATE TABLE case_petitioners (
                case_id INTEGER PRIMARY KEY REFERENCES cases(id),
                name TEXT NOT NULL,
                contact TEXT NOT NULL
            ) STRICT;
            """),
        Migration(version: 3, sql: """
            -- Credentials: a certificate (its SHA-256 fingerprint) or a bearer token (SHA-256 of it;
            -- the token itself is shown once and never stored).
            CREATE TABLE credentials (
                id INTEGER PRIMARY KEY,
                person_id TEXT NOT NULL REFERENCES people(id),
                kind TEXT NOT NULL CHECK (kind IN ('certificate', 'token')),
                digest BLOB NOT NULL UNIQUE,
                label TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            ) STRICT;
            CREATE INDEX credentials_by_person ON credentials(person_id);
            CREATE INDEX credentials_revoked ON credentials(revoked_at) WHERE revoked_at IS NOT NULL;

            -- Rooms and their durable, ordered event logs. `body` holds the event exactly as sent.
            CREATE TABLE rooms (
                id TEXT PRIMARY KEY NOT NULL,
                epoch TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_seq INTEGER NOT NULL DEFAULT 0
            ) STRICT;
            CREATE TABLE room_events (
                room_id TEXT NOT NULL REFERENCES rooms(id),
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                at INTEGER NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (room_id, seq)
            ) STRICT, WITHOUT ROWID;
            -- Idempotency keys of posts, per person: a resend returns the first result.
            CREATE TABLE post_keys (
                person_id TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                room_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                PRIMARY KEY (person_id, idempotency_key)
            ) STRICT, WITHOUT ROWID;
            """),
        Migration(version: 4, sql: """
            -- Each unit's part in each negotiation round (a projection of the case state): when it
            -- first answered, its last answer, and how the round ended for it. Feeds the per-unit
            -- negotiation figures.
            CREATE TABLE negotiation_participation (
                case_id INTEGER NOT NULL,
                round INTEGER NOT NULL,
                unit_id TEXT NOT NULL,
                opened_at INTEGER NOT NULL,
                first_answered_at INTEGER,
                last_answer TEXT,
                closed_at INTEGER,
                unanswered_at_deadline INTEGER NOT NULL DEFAULT 0,
                decline_overturned INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (case_id, round, unit_id)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX negotiation_participation_by_unit ON negotiation_participation(unit_id, opened_at);
            """),
        Migration(version: 5, sql: """
            -- What units owe on a case besides the legal deadlines: open tasks (`task-N`) and
            -- unanswered supervision items (`supervision-N`); a projection of the case state that
            -- the deadline scheduler reads (reported_level: the last warning level posted).
            CREATE TABLE case_obligations (
                case_id INTEGER NOT NULL,
                key TEXT NOT NULL,
                unit_id TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                due_at INTEGER NOT NULL,
                met_at INTEGER,
                reported_level INTEGER,
                PRIMARY KEY (case_id, key)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX case_obligations_running ON case_obligations(due_at) WHERE met_at IS NULL;
            -- Listed supervision (挂牌督办), for the supervision list.
            ALTER TABLE cases ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX cases_listed ON cases(id) WHERE listed = 1;
            """),
        Migration(version: 6, sql: """
            -- Joint meetings: their events (append-only) and current state (a projection).
            CREATE TABLE meetings (
                id INTEGER PRIMARY KEY,
                status TEXT NOT NULL,
                scheduled_at INTEGER NOT NULL,
                state TEXT NOT NULL
            ) STRICT;
            CREATE INDEX meetings_by_status ON meetings(status, id);
            CREATE TABLE meeting_events (
                meeting_id INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                type TEXT NOT NULL,
                actor_person TEXT NOT NULL,
                at INTEGER NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (meeting_id, seq)
            ) STRICT, WITHOUT ROWID;
            -- The decision log: every outcome, sign-off and seal, as leaves of an RFC 6962 Merkle
            -- tree (leaf_hash = SHA-256(0x00 || body)), and the hub's Ed25519-signed checkpoints.
            CREATE TABLE decision_log (
                idx INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                meeting_id INTEGER NOT NULL,
                body TEXT NOT NULL,
                leaf_hash BLOB NOT NULL
            ) STRICT;
            CREATE TABLE decision_checkpoints (
                size INTEGER PRIMARY KEY,
                origin TEXT NOT NULL,
                root BLOB NOT NULL,
                signature BLOB NOT NULL,
                at INTEGER NOT NULL
            ) STRICT;
            """),
        Migration(version: 7, sql: """
            -- Room events in the order they were written (a rowid table) with a unique index for
            -- each room's order, instead of clustered by room (WITHOUT ROWID). A commit of posts
            -- to many rooms then appends its rows to the last pages of the table and touches one
            -- small index entry per room, where the clustered table took a page per room and split
            -- it every few posts: about half the bytes written per post and 40 % less of the
            -- writer's CPU (Benchmarks/floor/durable.c, docs/benchmarks.md). Existing events are
            -- copied room by room, so each room's history stays together.
            CREATE TABLE room_events_v7 (
                id INTEGER PRIMARY KEY,
                room_id TEXT NOT NULL REFERENCES rooms(id),
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                at INTEGER NOT NULL,
                body TEXT NOT NULL
            ) STRICT;
            INSERT INTO room_events_v7 (room_id, seq, kind, at, body)
                SELECT room_id, seq, kind, at, body FROM room_events ORDER BY room_id, seq;
            DROP TABLE room_events;
            ALTER TABLE room_events_v7 RENAME TO room_events;
            CREATE UNIQUE INDEX room_events_by_room ON room_events(room_id, seq);
            """),
        Migration(version: 8, sql: """
            -- Browser sign-in. Credentials gain a third kind, `session`: what a browser receives
            -- when its person signs in (by password or certificate), stored like a token (SHA-256)
            -- and ending at `expires_at`. SQLite cannot change a CHECK, so the table is copied.
            CREATE TABLE credentials_v8 (
                id INTEGER PRIMARY KEY,
                person_id TEXT NOT NULL REFERENCES people(id),
                kind TEXT NOT NULL CHECK (kind IN ('certificate', 'token', 'session')),
                digest BLOB NOT NULL UNIQUE,
                label TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER,
                expires_at INTEGER
            ) STRICT;
            INSERT INTO credentials_v8 (id, person_id, kind, digest, label, created_at, revoked_at)
                SELECT id, person_id, kind, digest, label, created_at, revoked_at FROM credentials;
            DROP TABLE credentials;
            ALTER TABLE credentials_v8 RENAME TO credentials;
            CREATE INDEX credentials_by_person ON credentials(person_id);
            CREATE INDEX credentials_revoked ON credentials(revoked_at) WHERE revoked_at IS NOT NULL;
            CREATE INDEX credentials_expiring ON credentials(expires_at) WHERE expires_at IS NOT NULL;

            -- A person's password, only as an scrypt hash with its salt and parameters.
            -- `must_change`: the password was set by an administrator and works once, to set a new one.
            CREATE TABLE passwords (
                person_id TEXT PRIMARY KEY REFERENCES people(id),
                hash BLOB NOT NULL,
                salt BLOB NOT NULL,
                cost_log2 INTEGER NOT NULL,
                block_size INTEGER NOT NULL,
                parallelism INTEGER NOT NULL,
                must_change INTEGER NOT NULL,
                set_at INTEGER NOT NULL
            ) STRICT;
            """),
        Migration(version: 9, sql: """
            -- Kept work items (我的待办): what each unit, and the conference office (unit_id ''),
            -- owes on the open cases, written in the same transaction as the change that creates
            -- or settles it (KeptWorkItems.swift). `due_key` is the item's due time, or the largest
            -- integer when no limit runs for it, so that one index gives a unit's items most
            -- urgent first. `item` is the item as JSON. The rows are built from the cases when the
            -- store next opens (the `work_items_rebuild` mark), since SQL alone cannot derive them.
            CREATE TABLE work_items (
                case_id INTEGER NOT NULL,
                ord INTEGER NOT NULL,
                unit_id TEXT NOT NULL,
                role TEXT,
                kind TEXT NOT NULL,
                due_key INTEGER NOT NULL,
                title TEXT NOT NULL,
                status TEXT NOT NULL,
                item TEXT NOT NULL,
                PRIMARY KEY (case_id, ord)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX work_items_by_unit ON work_items(unit_id, due_key, case_id, ord);
            CREATE INDEX work_items_by_kind ON work_items(kind, due_key, case_id);
            INSERT INTO hub_meta (key, value) VALUES ('work_items_rebuild', '1')
                ON CONFLICT (key) DO UPDATE SET value = excluded.value;

            -- Each case's title in a narrow table of its own, for the case list's search: a scan
            -- of it reads a few bytes per case where one of `cases` reads each case's whole state.
            CREATE TABLE case_titles (
                id INTEGER PRIMARY KEY REFERENCES cases(id),
                title TEXT NOT NULL
            ) STRICT;
            INSERT INTO case_titles (id, title) SELECT id, json_extract(state, '$.title') FROM cases;
            """),
        Migration(version: 10, sql: """
            -- A unit's work items in the order `inbox` lists them (due, case, kind, place in the
            -- case), with the role they need: a page is read from the index in order, without
            -- sorting the unit's (or the office's tens of thousands of) items first.
            DROP INDEX work_items_by_unit;
            CREATE INDEX work_items_by_unit ON work_items(unit_id, due_key, case_id, kind, ord, role);

            -- When each case's earliest running obligation falls due (a legal deadline not met,
            -- other than a petitioner's window; an open task; an unanswered supervision item), next
            -- to its title: the case list's `overdue` filter reads this narrow table in case order
            -- instead of gathering every overdue row of the two obligation tables for each page.
            ALTER TABLE case_titles ADD COLUMN next_due_at INTEGER;
            UPDATE case_titles SET next_due_at = (
                SELECT MIN(due_at) FROM (
                    SELECT due_at FROM case_deadlines WHERE case_id = case_titles.id AND met_at IS NULL
                        AND kind NOT IN ('objection', 'review_request', 're_review_request')
                    UNION ALL
                    SELECT due_at FROM case_obligations WHERE case_id = case_titles.id AND met_at IS NULL));

            -- The supervision list counts running obligations past their limit by kind: the
            -- indexes of what runs carry the kind and `met_at`, so a count reads the index alone.
            DROP INDEX case_deadlines_running;
            CREATE INDEX case_deadlines_running ON case_deadlines(due_at, kind, met_at) WHERE met_at IS NULL;
            DROP INDEX case_obligations_running;
            CREATE INDEX case_obligations_running ON case_obligations(due_at, key, met_at) WHERE met_at IS NULL;

            -- Each unit's negotiation figures from one index, in the order of the time it took to
            -- answer (for the median), holding every column the figures add up.
            CREATE INDEX negotiation_participation_figures ON negotiation_participation(
                unit_id, (first_answered_at - opened_at), opened_at, first_answered_at, last_answer,
                unanswered_at_deadline, decline_overturned);
            """),
        Migration(version: 11, sql: """
            -- When the hub recorded that a running deadline or obligation lapsed (an escalated
            -- decision flagged overdue, a supervision item escalated to leaders). The deadline
            -- sweep reads only lapses not yet recorded: before, it read and decoded every case
            -- with one on every pass, however long ago it was recorded.
            ALTER TABLE case_deadlines ADD COLUMN lapse_recorded_at INTEGER;
            ALTER TABLE case_obligations ADD COLUMN lapse_recorded_at INTEGER;
            UPDATE case_deadlines SET lapse_recorded_at = (
                SELECT json_extract(state, '$.escalation.overdueAt') FROM cases WHERE cases.id = case_deadlines.case_id)
                WHERE kind = 'escalation';
            UPDATE case_obligations SET lapse_recorded_at = (
                SELECT json_extract(item.value, '$.escalatedAt')
                FROM cases, json_each(cases.state, '$.supervisionItems') AS item
                WHERE cases.id = case_obligations.case_id AND case_obligations.key = 'supervision-' || json_extract(item.value, '$.id'))
                WHERE key LIKE 'supervision-%';
            """),
        Migration(version: 12, sql: """
            -- Registration numbers (登记编号, 〔2026〕第0001号): the first case registered in each
            -- year of the conference's time zone. A case's number is its year and its place after
            -- that year's first case. Filled from the cases when the store opens (it knows the zone).
            CREATE TABLE registration_years (
                year INTEGER PRIMARY KEY,
                first_case INTEGER NOT NULL UNIQUE
            ) STRICT;
            INSERT INTO hub_meta (key, value) VALUES ('registration_years_rebuild', '1')
                ON CONFLICT (key) DO UPDATE SET value = excluded.value;
            """),
    ]

    /// The newest schema version this build knows.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Opens the hub database at `path`, creating and migrating it as needed.
    public static func open(path: String) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        try Migrator.migrate(connection, migrations: migrations)
        return connection
    }
}
