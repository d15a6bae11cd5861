package sqlite

import "database/sql"

// DB exposes the handle to tamper tests, which edit the file behind the
// store's back the way an attacker with file access would.
func (s *Store) DB() *sql.DB { return s.db }

// SetSearchLimit changes how many candidates an alert search may have to
// be read by id, so small tests reach both plans of the alert list.
func (s *Store) SetSearchLimit(n int) { s.searchLimit = n }
