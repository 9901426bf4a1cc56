// Package e2e drives Rebound end to end over HTTP: the real API, worker and
// activities against an in-process Temporal server and a real database
// (SQLite, and Postgres when REBOUND_TEST_POSTGRES_URL is set). It holds
// only tests.
package e2e
