package sqlite

import "database/sql"

// DB exposes the handle to tamper tests, which edit the file behind the
// store's back the way an attacker with file access would.
func (s *Store) DB() *sql.DB { return s.db }
