// CSQLite: SQLite 3 for Swift. SQLITE_TRANSIENT and SQLITE_STATIC are casts of integer constants
// to function pointers and do not import into Swift; they are wrapped here as `static inline`.
#ifndef CONFERENCEHUB_CSQLITE_SHIM_H
#define CONFERENCEHUB_CSQLITE_SHIM_H

#include <sqlite3.h>

/// SQLite copies the bound value before the bind call returns.
static inline sqlite3_destructor_type chub_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/// The bound value stays valid until the statement is reset or finalized.
static inline sqlite3_destructor_type chub_sqlite_static(void) { return SQLITE_STATIC; }

#endif
